import type { RequestContext } from '../domain/request-context';
import type { Stores } from '../store/stores';

/** Records a committed change inside the transaction that makes it (the audit trail plugs in here). */
export interface ChangeRecorder {
  record(stores: Stores, ctx: RequestContext, method: string, resource: string): Promise<void>;
  /** Records one change per resource, like `record` for each (batches: one audit append round, not one per item). */
  recordMany?(stores: Stores, ctx: RequestContext, method: string, resources: readonly string[]): Promise<void>;
}

/** A recorder that keeps nothing (library use and unit tests). */
export const noChangeRecorder: ChangeRecorder = { record: async () => undefined };
