import type { ListQuery, Page } from '../grafeas/grafeas-types';
import type { AuditEvent, NewAuditEvent } from './audit-event';

/** The head of one project's chain: its newest event's sequence number and hash. */
export interface ChainHead {
  readonly projectId: string;
  readonly seq: number;
  readonly hash: string;
}

/** Storage of the audit trail. */
export interface AuditStore {
  /** Appends the event to its project's chain (serialized per project until the transaction ends). */
  append(event: NewAuditEvent): Promise<AuditEvent>;
  /** Appends events in order (one chain round per project): what `append` does for each, in fewer statements. */
  appendMany(events: readonly NewAuditEvent[]): Promise<AuditEvent[]>;
  /** A page of a project's events in chain order, filtered. */
  list(projectId: string, query: ListQuery): Promise<Page<AuditEvent>>;
  /** Every chain head, by project. */
  heads(): Promise<ChainHead[]>;
  /** Every project with events or a head. */
  chains(): Promise<string[]>;
  /** Events of one chain with seq > after, in order, at most `limit`. */
  chainSlice(projectId: string, after: number, limit: number): Promise<AuditEvent[]>;
  /** The event at seq in the project's chain. */
  eventAt(projectId: string, seq: number): Promise<AuditEvent | undefined>;
}
