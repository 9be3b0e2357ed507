import type { ListQuery, Page } from '../message-types';
import type { AuditEvent, NewAuditEvent } from '../audit-event';

/** The head of one project's chain: its newest event's sequence number and hash. */
export interface ChainHead {
  readonly projectId: string;
  readonly seq: number;
  readonly hash: string;
}

/** What one sequencing round chained. */
export interface SequenceRound {
  /** Events chained. */
  readonly events: number;
  /** Of those, events recording a change (other replicas' caches must hear of them). */
  readonly changes: number;
}

/** Storage of the audit trail. */
export interface AuditStore {
  /**
   * Writes events in the caller's transaction, not yet chained: they commit or roll back with the change they
   * record, and the sequencer chains them after commit (`sequence`). Nothing is locked. Resolves their ids.
   */
  appendMany(events: readonly NewAuditEvent[]): Promise<string[]>;
  /**
   * Chains up to `limit` pending events of one project, oldest first, after its chain head, and moves the
   * head. Must run in a transaction: the head's row lock (taken first) serializes sequencers per project.
   */
  sequence(projectId: string, limit: number): Promise<SequenceRound>;
  /**
   * Chains events at once under their projects' head locks, held until the caller's transaction ends: for
   * background writers that batch already (decisions), not for request paths (they would serialize).
   */
  appendChained(events: readonly NewAuditEvent[]): Promise<void>;
  /**
   * Where the project's recorded changes stand: the seq of its newest chained change event, or undefined while
   * a committed change is not chained yet. Every committed change moves it (its event is pending, then chained
   * past the old stamp), so a cache keyed on it cannot serve a verdict from before a change another replica
   * answered (ADR 0045).
   */
  changeStamp(projectId: string): Promise<number | undefined>;
  /** Projects with events not yet chained. */
  pendingProjects(): Promise<string[]>;
  /** How many events are not yet chained (of one project, or of all). */
  pendingCount(projectId?: string): Promise<number>;
  /** A page of a project's events in chain order, filtered. */
  list(projectId: string, query: ListQuery): Promise<Page<AuditEvent>>;
  /** Runs `work` on a store that reads one consistent snapshot (heads and events as of one instant). */
  inSnapshot<T>(work: (store: AuditStore) => Promise<T>): Promise<T>;
  /** Every chain head, by project. */
  heads(): Promise<ChainHead[]>;
  /** Every project with events or a head. */
  chains(): Promise<string[]>;
  /** Events of one chain with seq > after, in order, at most `limit`. */
  chainSlice(projectId: string, after: number, limit: number): Promise<AuditEvent[]>;
  /** The event at seq in the project's chain. */
  eventAt(projectId: string, seq: number): Promise<AuditEvent | undefined>;
}
