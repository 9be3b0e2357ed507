import type { NewAuditEvent } from '../audit-event';
import type { RequestContext } from '../request-context';
import type { Stores } from './unit-of-work';

/** Records a committed change inside the transaction that makes it (the audit trail plugs in here). */
export interface ChangeRecorder {
  record(stores: Stores, ctx: RequestContext, method: string, resource: string): Promise<void>;
  /** Records one change per resource, like `record` for each (batches: one audit append round, not one per item). */
  recordMany?(stores: Stores, ctx: RequestContext, method: string, resources: readonly string[]): Promise<void>;
  /** Records changes made for different callers in one transaction, like `record` for each, in order (one append round). */
  recordEach?(stores: Stores, changes: readonly RecordedChange[]): Promise<void>;
  /**
   * The audit events that record one change per resource, for a store that writes them in the same statement
   * as the change (GrafeasStore.createOccurrences), without writing anything; marks `stores` as `recordMany` does.
   */
  prepareMany(stores: Stores, ctx: RequestContext, method: string, resources: readonly string[]): NewAuditEvent[];
}

/** One change to record: who made it (ctx), how and on what. */
export interface RecordedChange {
  readonly ctx: RequestContext;
  readonly method: string;
  readonly resource: string;
}

/** Records changes with `recordEach` when the recorder has it, else one `record` each. */
export async function recordAll(recorder: ChangeRecorder, stores: Stores, changes: readonly RecordedChange[]): Promise<void> {
  if (changes.length === 0) return;
  if (recorder.recordEach) await recorder.recordEach(stores, changes);
  else for (const c of changes) await recorder.record(stores, c.ctx, c.method, c.resource);
}
