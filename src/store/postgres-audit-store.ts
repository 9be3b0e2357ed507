import type { Knex } from 'knex';
import { eventHash, GENESIS_HASH, type AuditEvent, type NewAuditEvent } from '../domain/audit-event';
import type { AuditStore, ChainHead, SequenceRound } from '../domain/stores/audit-store';
import { newId } from '../domain/new-id';
import type { ListQuery, Page } from '../domain/message-types';
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

/** A pending event as read back for sequencing: an event row before its place in the chain. */
type PendingRow = Omit<Row, 'seq' | 'prev_hash' | 'hash'>;

/** Inserts pending events from the arrays of pendingBindings (a statement of its own, or a CTE of a larger one). */
export const PENDING_INSERT_SQL = `
  INSERT INTO audit_pending (event_id, project_id, time, actor, method, resource, request_id, kind, details)
  SELECT e.event_id, e.project_id, e.time, e.actor, e.method, e.resource, e.request_id, e.kind, e.details::jsonb
  FROM unnest(?::uuid[], ?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
    AS e(event_id, project_id, time, actor, method, resource, request_id, kind, details)`;

/**
 * Moves the chained events from audit_pending to audit_events and the head to ($1, $2), in one statement.
 * The INSERT only happens when every pending row was still there to delete ($4 = their count): a sequencer
 * that lost its lock (it cannot, but) would insert nothing, and the caller rolls back.
 */
const SEQUENCE_SQL = `
  WITH gone AS (
    DELETE FROM audit_pending WHERE event_id = ANY(?::uuid[]) RETURNING 1
  ), head AS (
    UPDATE audit_chain_heads SET seq = ?, hash = ?, update_time = now() WHERE project_id = ? RETURNING 1
  )
  INSERT INTO audit_events (project_id, seq, event_id, time, actor, method, resource, request_id, kind, details, prev_hash, hash)
  SELECT e.project_id, e.seq, e.event_id, e.time, e.actor, e.method, e.resource, e.request_id, e.kind, e.details::jsonb, e.prev_hash, e.hash
  FROM unnest(?::text[], ?::bigint[], ?::uuid[], ?::timestamptz[], ?::text[], ?::text[],
              ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
    AS e(project_id, seq, event_id, time, actor, method, resource, request_id, kind, details, prev_hash, hash)
  WHERE (SELECT count(*) FROM gone) = ? AND (SELECT count(*) FROM head) = 1`;

/**
 * The audit trail in Postgres. Requests write their events to audit_pending (no lock, no chain); the
 * sequencer chains them per project under a row lock on the project's chain head (audit_chain_heads).
 */
export class PostgresAuditStore implements AuditStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
    /** Projects this store (its transaction) wrote pending events for: the sequencer is woken for them after commit. */
    private readonly appended?: Set<string>,
  ) {}

  async appendMany(events: readonly NewAuditEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const { ids, bindings } = pendingBindings(events);
    await this.db.raw(PENDING_INSERT_SQL, bindings as unknown as Knex.RawBinding[]);
    for (const e of events) this.appended?.add(e.projectId);
    return ids;
  }

  /**
   * One round: lock and read the head (an upsert, so a new chain starts at genesis), read the oldest pending
   * events — in a statement of their own, so that its snapshot is taken after the lock and sees everything the
   * previous holder sequenced — chain them in Node (eventHash, over the values as stored and read back), then
   * move them and the head in one statement.
   */
  async sequence(projectId: string, limit: number): Promise<SequenceRound> {
    const head = await this.lockHead(projectId);
    const pending: PendingRow[] = (
      await this.db.raw(
        `SELECT event_id, project_id, time, actor, method, resource, request_id, kind, details
         FROM audit_pending WHERE project_id = ? ORDER BY event_id LIMIT ?`,
        [projectId, limit],
      )
    ).rows;
    if (pending.length === 0) return { events: 0, changes: 0 };
    const chained = chainAfter(head, pending.map(toUnchained));
    await this.writeChained(
      projectId,
      chained,
      pending.map((r) => r.event_id),
    );
    return { events: chained.length, changes: chained.filter((e) => e.kind === 'change').length };
  }

  /**
   * Chains events at once under each project's head lock (held until the caller's transaction ends), in a
   * global project order so that two such appenders cannot deadlock. For background writers that already
   * batch (the decision recorder): one chained row per event instead of a pending row moved later.
   */
  async appendChained(events: readonly NewAuditEvent[]): Promise<void> {
    for (const projectId of [...new Set(events.map((e) => e.projectId))].sort()) {
      const head = await this.lockHead(projectId);
      const own = events
        .filter((e) => e.projectId === projectId)
        .map((e) => ({ ...e, eventId: newId(), time: new Date(e.time).toISOString() }));
      await this.writeChained(projectId, chainAfter(head, own), []);
    }
  }

  /** Creates (at genesis) or locks the project's chain head and reads it. */
  private async lockHead(projectId: string): Promise<{ seq: number; hash: string }> {
    const head: { seq: string; hash: string } = (
      await this.db.raw(
        `INSERT INTO audit_chain_heads (project_id, seq, hash, update_time) VALUES (?, 0, ?, now())
         ON CONFLICT (project_id) DO UPDATE SET project_id = EXCLUDED.project_id RETURNING seq, hash`,
        [projectId, GENESIS_HASH],
      )
    ).rows[0];
    return { seq: Number(head.seq), hash: head.hash };
  }

  /** Inserts chained events, deletes the pending rows they came from and moves the head, in one statement. */
  private async writeChained(projectId: string, chained: readonly AuditEvent[], pendingIds: readonly string[]): Promise<void> {
    const column = <T>(f: (e: AuditEvent) => T): T[] => chained.map(f);
    const last = chained[chained.length - 1]!;
    const result: { rowCount: number | null } = await this.db.raw(SEQUENCE_SQL, [
      pendingIds,
      last.seq,
      last.hash,
      projectId,
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
      pendingIds.length,
    ] as unknown as Knex.RawBinding[]);
    if (result.rowCount !== chained.length) throw new Error(`audit events of ${projectId} changed while being chained`);
  }

  async changeStamp(projectId: string): Promise<number | undefined> {
    // One statement, one snapshot: an event is either still pending or already chained in it.
    const row: { seq: string | null; pending: boolean } = (
      await this.db.raw(
        `SELECT (SELECT max(seq) FROM audit_events WHERE project_id = ? AND kind = 'change') AS seq,
                EXISTS (SELECT 1 FROM audit_pending WHERE project_id = ? AND kind = 'change') AS pending`,
        [projectId, projectId],
      )
    ).rows[0];
    return row.pending ? undefined : Number(row.seq ?? 0);
  }

  async pendingProjects(): Promise<string[]> {
    const rows: { project_id: string }[] = (await this.db.raw('SELECT DISTINCT project_id FROM audit_pending')).rows;
    return rows.map((r) => r.project_id);
  }

  async pendingCount(projectId?: string): Promise<number> {
    const q = this.db('audit_pending');
    if (projectId !== undefined) q.where('project_id', projectId);
    const row = (await q.count<{ n: string }[]>('* as n'))[0];
    return Number(row?.n ?? 0);
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
    const rows: Row[] = await q
      .select('*')
      .orderBy('seq', 'asc')
      .limit(query.pageSize + 1);
    const more = rows.length > query.pageSize;
    const items = (more ? rows.slice(0, query.pageSize) : rows).map(toEvent);
    return { items, nextPageToken: more ? this.tokens.encode(scope, String(items[items.length - 1]!.seq)) : '' };
  }

  inSnapshot<T>(work: (store: AuditStore) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(new PostgresAuditStore(trx, this.tokens)), {
      isolationLevel: 'repeatable read',
      readOnly: true,
    });
  }

  async heads(): Promise<ChainHead[]> {
    const rows: { project_id: string; seq: string; hash: string }[] = await this.db('audit_chain_heads')
      .select('project_id', 'seq', 'hash')
      .orderBy('project_id');
    return rows.map((r) => ({ projectId: r.project_id, seq: Number(r.seq), hash: r.hash }));
  }

  async chains(): Promise<string[]> {
    const rows: { project_id: string }[] = await this.db
      .raw('SELECT project_id FROM audit_chain_heads UNION SELECT DISTINCT project_id FROM audit_events ORDER BY 1')
      .then((r: { rows: { project_id: string }[] }) => r.rows);
    return rows.map((r) => r.project_id);
  }

  async chainSlice(projectId: string, after: number, limit: number): Promise<AuditEvent[]> {
    const rows: Row[] = await this.db<Row>('audit_events')
      .where('project_id', projectId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit)
      .select('*');
    return rows.map(toEvent);
  }

  async eventAt(projectId: string, seq: number): Promise<AuditEvent | undefined> {
    const row = (await this.db('audit_events').where('project_id', projectId).where('seq', seq).first('*')) as Row | undefined;
    return row ? toEvent(row) : undefined;
  }
}

/** New ids for `events` and the bindings of PENDING_INSERT_SQL that write them. */
export function pendingBindings(events: readonly NewAuditEvent[]): { ids: string[]; bindings: string[][] } {
  const ids = events.map(() => newId());
  const column = <T>(f: (e: NewAuditEvent) => T): T[] => events.map(f);
  const bindings = [
    ids,
    column((e) => e.projectId),
    column((e) => new Date(e.time).toISOString()),
    column((e) => e.actor),
    column((e) => e.method),
    column((e) => e.resource),
    column((e) => e.requestId),
    column((e) => e.kind),
    column((e) => JSON.stringify(e.details)),
  ];
  return { ids, bindings };
}

/** An event's own fields from its row (pending or chained). */
function toUnchained(r: PendingRow): Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'> {
  return {
    projectId: r.project_id,
    eventId: r.event_id,
    time: new Date(r.time).toISOString(),
    actor: r.actor,
    method: r.method,
    resource: r.resource,
    requestId: r.request_id,
    kind: r.kind,
    details: r.details,
  };
}

function toEvent(r: Row): AuditEvent {
  return { ...toUnchained(r), seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash };
}

/** Chains events after the head, in order: seq, prev_hash and hash (eventHash over the values as given). */
function chainAfter(head: { seq: number; hash: string }, events: readonly Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>[]): AuditEvent[] {
  let seq = head.seq;
  let prevHash = head.hash;
  return events.map((e) => {
    const unhashed = { ...e, seq: ++seq, prevHash };
    const event: AuditEvent = { ...unhashed, hash: eventHash(unhashed) };
    prevHash = event.hash;
    return event;
  });
}
