import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { eventHash, GENESIS_HASH, type AuditEvent, type NewAuditEvent } from '../audit/audit-event';
import type { AuditStore, ChainHead } from '../audit/audit-store';
import type { ListQuery, Page } from '../grafeas/grafeas-types';
import { compileFilter, type FilterFields } from './filter-sql';
import type { PageTokens } from './page-token';

/** Audit event fields a filter may name. */
export const AUDIT_FILTER_FIELDS: FilterFields = Object.freeze({
  actor: { column: 'actor', type: 'string' },
  method: { column: 'method', type: 'string' },
  resource: { column: 'resource', type: 'string' },
  kind: { column: 'kind', type: 'string' },
  requestId: { column: 'request_id', type: 'string' },
  eventId: { column: 'event_id::text', type: 'string' },
  time: { column: 'time', type: 'timestamp' },
  seq: { column: 'seq', type: 'number' },
});

interface Row {
  project_id: string;
  seq: string;
  event_id: string;
  time: Date;
  actor: string;
  method: string;
  resource: string;
  request_id: string;
  kind: AuditEvent['kind'];
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

/**
 * The head each chain had after this process's last append, per project: a guess (that append's transaction
 * may not have committed yet, or may roll back; another replica may have appended since), never trusted —
 * the append statement checks it against the stored head and falls back to locking and reading the head.
 */
const predictedHeads = new Map<string, ChainPosition>();
const MAX_PREDICTED_HEADS = 10_000;

/** Moves the head from (seq, hash) = ($4, $5) to ($1, $2) and appends the events (one array per column), or does nothing. */
const APPEND_SQL = `
  WITH head AS (
    UPDATE audit_chain_heads SET seq = ?, hash = ?, update_time = now()
    WHERE project_id = ? AND seq = ? AND hash = ?
    RETURNING project_id
  )
  INSERT INTO audit_events (project_id, seq, event_id, time, actor, method, resource, request_id, kind, details, prev_hash, hash)
  SELECT e.project_id, e.seq, e.event_id, e.time, e.actor, e.method, e.resource, e.request_id, e.kind, e.details::jsonb, e.prev_hash, e.hash
  FROM head, unnest(?::text[], ?::bigint[], ?::uuid[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
    AS e(project_id, seq, event_id, time, actor, method, resource, request_id, kind, details, prev_hash, hash)`;

/** The audit trail in Postgres: a row lock on the project's chain head serializes appends per project only. */
export class PostgresAuditStore implements AuditStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async append(e: NewAuditEvent): Promise<AuditEvent> {
    return (await this.appendMany([e]))[0]!;
  }

  /**
   * Appends events in order, each project's chain in ONE statement when this process knows its head:
   * `WITH head AS (UPDATE audit_chain_heads … WHERE seq = <expected> AND hash = <expected> RETURNING …)
   * INSERT INTO audit_events SELECT … FROM head, unnest(…)` moves the head and appends the events together,
   * or does nothing when the head is not the expected one (another process appended, or the transaction that
   * made the expected head rolled back). Then, and for a chain this process has not seen, the head is created
   * or locked and read by an upsert and the same statement runs with the head read (it cannot miss: the row
   * is locked). The hashes are computed in Node as before (eventHash); the row lock taken by the UPDATE
   * serializes appends per project until commit, so the fewer round trips after it, the higher a project's
   * write ceiling (bench/grafeas-write.ts).
   */
  async appendMany(events: readonly NewAuditEvent[]): Promise<AuditEvent[]> {
    const out: AuditEvent[] = new Array<AuditEvent>(events.length);
    // Heads are locked in one global order (sorted), so two transactions appending to several chains cannot deadlock.
    const projects = [...new Set(events.map((e) => e.projectId))].sort();
    for (const projectId of projects) {
      const indexes: number[] = [];
      events.forEach((e, i) => e.projectId === projectId && indexes.push(i));
      const expected = predictedHeads.get(projectId);
      let appended = expected ? await this.appendAfter(projectId, expected, indexes.map((i) => events[i]!)) : undefined;
      if (!appended) {
        // DO UPDATE (a no-op write) rather than DO NOTHING: it takes the row lock and returns the head at once.
        const head: { seq: string; hash: string } = (
          await this.db.raw(
            `INSERT INTO audit_chain_heads (project_id, seq, hash, update_time) VALUES (?, 0, ?, now())
             ON CONFLICT (project_id) DO UPDATE SET project_id = EXCLUDED.project_id RETURNING seq, hash`,
            [projectId, GENESIS_HASH],
          )
        ).rows[0];
        appended = await this.appendAfter(projectId, { seq: Number(head.seq), hash: head.hash }, indexes.map((i) => events[i]!));
        if (!appended) throw new Error(`audit chain head of ${projectId} moved while locked`);
      }
      appended.forEach((event, k) => (out[indexes[k]!] = event));
    }
    return out;
  }

  /** Chains `events` after `head` and appends them if the stored head is still `head` (one statement); undefined if not. */
  private async appendAfter(projectId: string, head: ChainPosition, events: readonly NewAuditEvent[]): Promise<AuditEvent[] | undefined> {
    let seq = head.seq;
    let prevHash = head.hash;
    const chained = events.map((e) => {
      const unhashed = { ...e, time: new Date(e.time).toISOString(), seq: ++seq, eventId: crypto.randomUUID(), prevHash };
      const event: AuditEvent = { ...unhashed, hash: eventHash(unhashed) };
      prevHash = event.hash;
      return event;
    });
    const column = <T>(f: (e: AuditEvent) => T): T[] => chained.map(f);
    // Predicted before the statement is sent: a concurrent append in this process then chains after this one
    // (its UPDATE waits for this transaction's row lock and matches once it commits) instead of failing.
    const next: ChainPosition = { seq, hash: prevHash };
    if (predictedHeads.size >= MAX_PREDICTED_HEADS && !predictedHeads.has(projectId)) predictedHeads.clear();
    predictedHeads.set(projectId, next);
    let result: { rowCount: number | null };
    try {
      result = await this.db.raw(APPEND_SQL, [
      seq,
      prevHash,
      projectId,
      head.seq,
      head.hash,
      column((e) => e.projectId),
      column((e) => e.seq),
      column((e) => e.eventId),
      column((e) => e.time),
      column((e) => e.actor),
      column((e) => e.method),
      column((e) => e.resource),
      column((e) => e.requestId),
      column((e) => e.kind),
      column((e) => JSON.stringify(e.details)),
      column((e) => e.prevHash),
      column((e) => e.hash),
      ] as unknown as Knex.RawBinding[]);
    } catch (err) {
      if (predictedHeads.get(projectId) === next) predictedHeads.delete(projectId);
      throw err;
    }
    if (result.rowCount !== chained.length) {
      if (predictedHeads.get(projectId) === next) predictedHeads.delete(projectId);
      return undefined;
    }
    return chained;
  }

  async list(projectId: string, query: ListQuery): Promise<Page<AuditEvent>> {
    const scope = `auditEvents|${projectId}|${query.filterText}`;
    const after = this.tokens.decode(scope, query.pageToken);
    const q = this.db<Row>('audit_events').where('project_id', projectId);
    if (query.filter) {
      const { sql, bindings } = compileFilter(query.filter, AUDIT_FILTER_FIELDS);
      q.whereRaw(`(${sql})`, bindings as Knex.RawBinding[]);
    }
    if (after !== undefined) q.where('seq', '>', after);
    const rows: Row[] = await q.select('*').orderBy('seq', 'asc').limit(query.pageSize + 1);
    const more = rows.length > query.pageSize;
    const items = (more ? rows.slice(0, query.pageSize) : rows).map(toEvent);
    return { items, nextPageToken: more ? this.tokens.encode(scope, String(items[items.length - 1]!.seq)) : '' };
  }

  async heads(): Promise<ChainHead[]> {
    const rows: { project_id: string; seq: string; hash: string }[] = await this.db('audit_chain_heads').select('project_id', 'seq', 'hash').orderBy('project_id');
    return rows.map((r) => ({ projectId: r.project_id, seq: Number(r.seq), hash: r.hash }));
  }

  async chains(): Promise<string[]> {
    const rows: { project_id: string }[] = await this.db.raw(
      'SELECT project_id FROM audit_chain_heads UNION SELECT DISTINCT project_id FROM audit_events ORDER BY 1',
    ).then((r: { rows: { project_id: string }[] }) => r.rows);
    return rows.map((r) => r.project_id);
  }

  async chainSlice(projectId: string, after: number, limit: number): Promise<AuditEvent[]> {
    const rows: Row[] = await this.db<Row>('audit_events').where('project_id', projectId).where('seq', '>', after).orderBy('seq').limit(limit).select('*');
    return rows.map(toEvent);
  }

  async eventAt(projectId: string, seq: number): Promise<AuditEvent | undefined> {
    const row = (await this.db('audit_events').where('project_id', projectId).where('seq', seq).first('*')) as Row | undefined;
    return row ? toEvent(row) : undefined;
  }
}

function toEvent(r: Row): AuditEvent {
  return {
    projectId: r.project_id,
    seq: Number(r.seq),
    eventId: r.event_id,
    time: new Date(r.time).toISOString(),
    actor: r.actor,
    method: r.method,
    resource: r.resource,
    requestId: r.request_id,
    kind: r.kind,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
