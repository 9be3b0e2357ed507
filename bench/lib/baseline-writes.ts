import crypto from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { eventHash, GENESIS_HASH } from '../../src/audit/audit-event';
import { occurrenceRequest } from './fixtures';

// The physical baseline for writes: the same rows attestd writes for an occurrence (the occurrences row and
// its audit event chained onto the project's head, in one transaction) sent straight through `pg`.

const OCC_COLUMNS = 9;
const EVENT_COLUMNS = 12;

function occurrenceRow(project: string, note: string, uri: string): unknown[] {
  const id = uuidv7();
  const now = new Date().toISOString();
  const body = { ...occurrenceRequest(project, note, uri), name: `projects/${project}/occurrences/${id}`, kind: 'ATTESTATION', createTime: now, updateTime: now };
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
    `INSERT INTO notes (project_id, note_id, kind, create_time, update_time, body) VALUES ($1, $2, 'ATTESTATION', now(), now(), '{}') ON CONFLICT DO NOTHING`,
    [project, note],
  );
}

/** Empties a benchmark project's occurrences and audit chain, so that every run starts alike. */
export async function resetWriteProject(pool: pg.Pool, project: string): Promise<void> {
  await pool.query('DELETE FROM occurrences WHERE project_id = $1', [project]);
  await pool.query('DELETE FROM audit_events WHERE project_id = $1', [project]);
  await pool.query('DELETE FROM audit_chain_heads WHERE project_id = $1', [project]);
}

/** Inserts `uris.length` occurrences and as many chained audit events in one transaction, with multi-row INSERTs. */
export async function baselineInsert(pool: pg.Pool, project: string, note: string, uris: readonly string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const occ = uris.map((u) => occurrenceRow(project, note, u));
    await client.query(
      `INSERT INTO occurrences (occurrence_id, project_id, resource_uri, note_project_id, note_id, kind, create_time, update_time, body) VALUES ${placeholders(occ.length, OCC_COLUMNS)}`,
      occ.flat(),
    );
    await client.query(
      'INSERT INTO audit_chain_heads (project_id, seq, hash, update_time) VALUES ($1, 0, $2, now()) ON CONFLICT (project_id) DO NOTHING',
      [project, GENESIS_HASH],
    );
    const head = (await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_heads WHERE project_id = $1 FOR UPDATE', [project])).rows[0]!;
    let seq = Number(head.seq);
    let prevHash = head.hash;
    const events: unknown[][] = [];
    for (const row of occ) {
      const unhashed = {
        projectId: project,
        seq: ++seq,
        eventId: crypto.randomUUID(),
        time: new Date().toISOString(),
        actor: 'bench',
        method: 'CreateOccurrence',
        resource: `projects/${project}/occurrences/${String(row[0])}`,
        requestId: crypto.randomUUID(),
        kind: 'change' as const,
        details: { transport: 'pg' },
        prevHash,
      };
      const hash = eventHash(unhashed);
      events.push([project, seq, unhashed.eventId, unhashed.time, 'bench', unhashed.method, unhashed.resource, unhashed.requestId, 'change', JSON.stringify(unhashed.details), prevHash, hash]);
      prevHash = hash;
    }
    await client.query(
      `INSERT INTO audit_events (project_id, seq, event_id, time, actor, method, resource, request_id, kind, details, prev_hash, hash) VALUES ${placeholders(events.length, EVENT_COLUMNS)}`,
      events.flat(),
    );
    await client.query('UPDATE audit_chain_heads SET seq = $2, hash = $3, update_time = now() WHERE project_id = $1', [project, seq, prevHash]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
