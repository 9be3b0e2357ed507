import type { AdapterReport, ClusterSpec } from '../resources/cluster-spec';
import type { ResourceName } from '../resources/resource-record';
import type { ResourceStore } from './resource-store';

/** Storage of registered clusters: the resource store plus what refers to a cluster. */
export interface ClusterStore extends ResourceStore<ClusterSpec> {
  /** Names of the policies that name the cluster, sorted. */
  users(cluster: ResourceName): Promise<string[]>;
  /** Ids of the project's registered clusters, sorted (at most `limit`). */
  ids(projectId: string, limit: number): Promise<string[]>;
  /** Records an adapter's report (its first report sets firstSeen; later ones the rest); the cluster must exist. */
  reportIn(report: AdapterReport): Promise<void>;
  /** The adapters that reported in for the cluster, most recently seen first (at most `limit`). */
  adapters(cluster: ResourceName, limit: number): Promise<AdapterReport[]>;
}
