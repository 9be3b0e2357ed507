import type { PolicyRecord, PolicySpec } from '../resources/policy-spec';
import type { ResourceStore } from './resource-store';

/** Storage of security policies: the resource store plus the query admission asks. */
export interface PolicyStore extends ResourceStore<PolicySpec> {
  /** Enabled policies covering a cluster's namespace, ordered by id. */
  enabledFor(projectId: string, cluster: string, namespace: string): Promise<PolicyRecord[]>;
}
