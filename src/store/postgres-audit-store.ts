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
   * Appends events in order, each project's in one round of statements: the head row is created or locked
   * and read by one upsert, the events go in as one multi-row INSERT, and the head moves once. A batch of
   * 1000 occurrences thus costs three statements instead of 4000 (bench/grafeas-batch.ts).
   */
  async appendMany(events: readonly NewAuditEvent[]): Promise<AuditEvent[]> {
    const out: AuditEvent[] = new Array<AuditEvent>(events.length);
    // Heads are locked in one global order (sorted), so two transactions appending to several chains cannot deadlock.
    const projects = [...new Set(events.map((e) => e.projectId))].sort();
    for (const projectId of projects) {
      // DO UPDATE (a no-op write) rather than DO NOTHING: it takes the row lock and returns the head at once.
      const head: { seq: string; hash: string } = (
        await this.db.raw(
          `INSERT INTO audit_chain_heads (project_id, seq, hash, update_time) VALUES (?, 0, ?, now())
           ON CONFLICT (project_id) DO UPDATE SET project_id = EXCLUDED.project_id RETURNING seq, hash`,
          [projectId, GENESIS_HASH],
        )
      ).rows[0];
      let seq = Number(head.seq);
      let prevHash = head.hash;
      const chained: AuditEvent[] = [];
      events.forEach((e, i) => {
        if (e.projectId !== projectId) return;
        const unhashed = { ...e, time: new Date(e.time).toISOString(), seq: ++seq, eventId: crypto.randomUUID(), prevHash };
        const event: AuditEvent = { ...unhashed, hash: eventHash(unhashed) };
        prevHash = event.hash;
        chained.push(event);
        out[i] = event;
      });
      const rows = chained.map((event) => ({
        project_id: event.projectId,
        seq: event.seq,
        event_id: event.eventId,
        time: event.time,
        actor: event.actor,
        method: event.method,
        resource: event.resource,
        request_id: event.requestId,
        kind: event.kind,
        details: JSON.stringify(event.details),
        prev_hash: event.prevHash,
        hash: event.hash,
      }));
      // Keep each statement under Postgres' 65535 bind parameters (12 per row). The last INSERT and the head's
      // move go as one statement: the head stays locked until commit, so every round trip saved counts.
      let i = 0;
      for (; rows.length - i > 5000; i += 5000) await this.db('audit_events').insert(rows.slice(i, i + 5000));
      const insert = this.db('audit_events').insert(rows.slice(i)).toSQL();
      await this.db.raw(`WITH appended AS (${insert.sql}) UPDATE audit_chain_heads SET seq = ?, hash = ?, update_time = now() WHERE project_id = ?`, [
        ...(insert.bindings as Knex.RawBinding[]),
        seq,
        prevHash,
        projectId,
      ]);
    }
    return out;
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
