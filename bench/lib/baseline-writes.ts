import crypto from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { occurrenceRequest } from './fixtures';

// The physical baseline for writes: the rows attestd writes for an occurrence in the request's transaction
// (the occurrences row and its audit event) sent straight through `pg`.

const OCC_COLUMNS = 9;
const EVENT_COLUMNS = 9;

function occurrenceRow(project: string, note: string, uri: string): unknown[] {
  const id = uuidv7();
  const now = new Date().toISOString();
  const body = {
    ...occurrenceRequest(project, note, uri),
    name: `projects/${project}/occurrences/${id}`,
    kind: 'ATTESTATION',
    createTime: now,
    updateTime: now,
  };
  return [id, project, uri, project, note, 'ATTESTATION', now, now, JSON.stringify(body)];
}

function placeholders(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(`(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(',')})`);
  return out.join(',');
}

/** Creates the baseline's project, note and chain head rows (attestd's API would do the same). */
export async function prepareBaselineProject(pool: pg.Pool, project: string, note: string): Promise<void> {
  await pool.query('INSERT INTO projects (project_id, create_time) VALUES ($1, now()) ON CONFLICT DO NOTHING', [project]);
  await pool.query(
    `INSERT INTO notes (project_id, note_id, kind, create_time, update_time, body)
     VALUES ($1, $2, 'ATTESTATION', now(), now(), '{}') ON CONFLICT DO NOTHING`,
    [project, note],
  );
}

/** Empties a benchmark project's occurrences and audit chain, so that every run starts alike. */
export async function resetWriteProject(pool: pg.Pool, project: string): Promise<void> {
  await pool.query('DELETE FROM occurrences WHERE project_id = $1', [project]);
  await pool.query('DELETE FROM audit_pending WHERE project_id = $1', [project]);
  await pool.query('DELETE FROM audit_events WHERE project_id = $1', [project]);
  await pool.query('DELETE FROM audit_chain_heads WHERE project_id = $1', [project]);
  // The sequencer reads audit_pending by project in event order: the rows just deleted would stay in its way
  // until a vacuum, and the machine's PostgreSQL may have autovacuum off (see vacuumChurnedTables).
  await pool.query('VACUUM audit_pending');
}

/**
 * Inserts `uris.length` occurrences and as many audit events in one transaction, with multi-row INSERTs: the
 * rows attestd's request transaction writes (the event unchained, in audit_pending; ADR 0009). attestd's own
 * figure also includes chaining them (waitChained), which the baseline does not do.
 */
export async function baselineInsert(pool: pg.Pool, project: string, note: string, uris: readonly string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const occ = uris.map((u) => occurrenceRow(project, note, u));
    await client.query(
      `INSERT INTO occurrences (occurrence_id, project_id, resource_uri, note_project_id, note_id, kind, create_time, update_time, body)
       VALUES ${placeholders(occ.length, OCC_COLUMNS)}`,
      occ.flat(),
    );
    const time = new Date().toISOString();
    const events = occ.map((row) => [
      uuidv7(),
      project,
      time,
      'bench',
      'CreateOccurrence',
      `projects/${project}/occurrences/${String(row[0])}`,
      crypto.randomUUID(),
      'change',
      JSON.stringify({ transport: 'pg' }),
    ]);
    await client.query(
      `INSERT INTO audit_pending (event_id, project_id, time, actor, method, resource, request_id, kind, details)
       VALUES ${placeholders(events.length, EVENT_COLUMNS)}`,
      events.flat(),
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Waits until none of the project's audit events is left unchained and resolves how long that took (ms): a
 * write counts as done once its audit event is in the chain, so attestd's rates divide by the load phase
 * plus this wait.
 */
export async function waitChained(pool: pg.Pool, project: string, timeoutMs = 120_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_pending WHERE project_id = $1', [project]);
    if (Number(rows[0]!.n) === 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`audit events of ${project} still unchained after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Operations per second counting each as done once its audit events are chained: ops / (load phase + the wait). */
export async function chainedRate(pool: pg.Pool, project: string, load: { ops: number; seconds: number }): Promise<number> {
  const waitedMs = await waitChained(pool, project);
  return load.ops / (load.seconds + waitedMs / 1000);
}
