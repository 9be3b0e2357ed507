import { eventHash, GENESIS_HASH, type AuditEvent, type NewAuditEvent } from '../../domain/audit-event';
import type { ListQuery, Page } from '../../domain/message-types';
import { newId } from '../../domain/new-id';
import type { AuditStore, ChainHead, SequenceRound } from '../../domain/stores/audit-store';
import type { PageTokens } from '../page-token';
import { AUDIT_FILTER_FIELDS } from '../postgres-audit-store';
import { assertSameFields, compareCodePoints, type FieldValues } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { AUDIT_EVENTS, AUDIT_HEADS, AUDIT_PENDING, type PendingEventRow } from './memory-schema';
import { rowKey, type Tables } from './memory-tables';
import { checkText, jsonb, thaw, timestamp } from './stored-values';

const AUDIT_VALUES: FieldValues<AuditEvent> = {
  actor: (e) => e.actor,
  method: (e) => e.method,
  resource: (e) => e.resource,
  kind: (e) => e.kind,
  requestId: (e) => e.requestId,
  eventId: (e) => e.eventId,
  time: (e) => e.time,
  seq: (e) => e.seq,
};
assertSameFields(AUDIT_FILTER_FIELDS, AUDIT_VALUES);

/**
 * The audit trail in memory, with the Postgres store's two steps: requests append pending events, the
 * sequencer chains them per project after its head (seq, prev_hash, hash over the values as stored).
 */
export class MemoryAuditStore implements AuditStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
    /** Projects this store (its transaction) wrote pending events for. */
    private readonly appended: Set<string> | undefined,
    /** A read-only copy of the committed tables, for inSnapshot. */
    private readonly snapshot: () => Tables,
  ) {}

  async appendMany(events: readonly NewAuditEvent[]): Promise<string[]> {
    const rows = events.map((e) => pendingRow({ ...e, eventId: newId() }));
    const pending = this.tables.table(AUDIT_PENDING);
    for (const row of rows) pending.put(row);
    for (const e of events) this.appended?.add(e.projectId);
    return rows.map((r) => r.eventId);
  }

  async sequence(projectId: string, limit: number): Promise<SequenceRound> {
    const head = this.lockHead(projectId);
    const pending = this.tables
      .table(AUDIT_PENDING)
      .rows()
      .filter((e) => e.projectId === projectId)
      .sort((a, b) => compareCodePoints(a.eventId, b.eventId))
      .slice(0, limit);
    if (pending.length === 0) return { events: 0, changes: 0 };
    const chained = chainAfter(head, pending);
    this.writeChained(projectId, chained);
    const table = this.tables.table(AUDIT_PENDING);
    for (const e of pending) table.delete(table.keyOf(e));
    return { events: chained.length, changes: chained.filter((e) => e.kind === 'change').length };
  }

  async appendChained(events: readonly NewAuditEvent[]): Promise<void> {
    const rows = events.map((e) => pendingRow({ ...e, eventId: newId() }));
    for (const projectId of [...new Set(rows.map((e) => e.projectId))].sort(compareCodePoints)) {
      const head = this.lockHead(projectId);
      this.writeChained(
        projectId,
        chainAfter(
          head,
          rows.filter((e) => e.projectId === projectId),
        ),
      );
    }
  }

  async changeStamp(projectId: string): Promise<number | undefined> {
    const pending = this.tables
      .table(AUDIT_PENDING)
      .rows()
      .some((e) => e.projectId === projectId && e.kind === 'change');
    if (pending) return undefined;
    return this.events(projectId).reduce((seq, e) => (e.kind === 'change' ? e.seq : seq), 0);
  }

  async pendingProjects(): Promise<string[]> {
    return [
      ...new Set(
        this.tables
          .table(AUDIT_PENDING)
          .rows()
          .map((e) => e.projectId),
      ),
    ].sort(compareCodePoints);
  }

  async pendingCount(projectId?: string): Promise<number> {
    return this.tables
      .table(AUDIT_PENDING)
      .rows()
      .filter((e) => projectId === undefined || e.projectId === projectId).length;
  }

  async list(projectId: string, query: ListQuery): Promise<Page<AuditEvent>> {
    const req = {
      key: (e: AuditEvent) => e.seq,
      scope: `auditEvents|${projectId}`,
      pageSize: query.pageSize,
      pageToken: query.pageToken,
      filter: { query, fields: AUDIT_FILTER_FIELDS, values: AUDIT_VALUES },
    };
    return memoryPage(this.tokens, this.events(projectId), req, thaw);
  }

  inSnapshot<T>(work: (store: AuditStore) => Promise<T>): Promise<T> {
    return work(new MemoryAuditStore(this.snapshot(), this.tokens, undefined, this.snapshot));
  }

  async heads(): Promise<ChainHead[]> {
    return this.tables
      .table(AUDIT_HEADS)
      .rows()
      .sort((a, b) => compareCodePoints(a.projectId, b.projectId))
      .map(thaw);
  }

  async chains(): Promise<string[]> {
    const projects = [...this.tables.table(AUDIT_HEADS).rows(), ...this.tables.table(AUDIT_EVENTS).rows()].map((r) => r.projectId);
    return [...new Set(projects)].sort(compareCodePoints);
  }

  async chainSlice(projectId: string, after: number, limit: number): Promise<AuditEvent[]> {
    return this.events(projectId)
      .filter((e) => e.seq > after)
      .slice(0, limit)
      .map(thaw);
  }

  async eventAt(projectId: string, seq: number): Promise<AuditEvent | undefined> {
    const row = this.tables.table(AUDIT_EVENTS).get(rowKey(projectId, seq));
    return row ? thaw(row) : undefined;
  }

  /** One project's chained events in seq order. */
  private events(projectId: string): AuditEvent[] {
    return this.tables
      .table(AUDIT_EVENTS)
      .rows()
      .filter((e) => e.projectId === projectId)
      .sort((a, b) => a.seq - b.seq);
  }

  /** The project's chain head, created at genesis when it has none (transactions are serialized: it is locked). */
  private lockHead(projectId: string): ChainHead {
    const heads = this.tables.table(AUDIT_HEADS);
    const head = heads.get(rowKey(projectId));
    if (head) return head;
    const genesis = Object.freeze({ projectId, seq: 0, hash: GENESIS_HASH });
    heads.put(genesis);
    return genesis;
  }

  /** Stores chained events and moves the head to the last. */
  private writeChained(projectId: string, chained: readonly AuditEvent[]): void {
    const events = this.tables.table(AUDIT_EVENTS);
    for (const e of chained) events.put(Object.freeze(e));
    const last = chained[chained.length - 1]!;
    this.tables.table(AUDIT_HEADS).put(Object.freeze({ projectId, seq: last.seq, hash: last.hash }));
  }
}

/** A pending event as stored (time as timestamptz reads it back, details as jsonb). */
function pendingRow(e: PendingEventRow): PendingEventRow {
  checkText(e);
  return Object.freeze({ ...e, time: timestamp(e.time), details: jsonb(e.details) });
}

/** Chains events after the head, in order: seq, prevHash and hash (eventHash over the stored values). */
function chainAfter(head: { seq: number; hash: string }, events: readonly PendingEventRow[]): AuditEvent[] {
  let seq = head.seq;
  let prevHash = head.hash;
  return events.map((e) => {
    const unhashed = { ...e, seq: ++seq, prevHash };
    const event: AuditEvent = { ...unhashed, hash: eventHash(unhashed) };
    prevHash = event.hash;
    return event;
  });
}
