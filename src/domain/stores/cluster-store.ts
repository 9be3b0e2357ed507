import type { ClusterSpec } from '../resources/cluster-spec';
import type { ResourceName } from '../resources/resource-record';
import type { ResourceStore } from './resource-store';

/** Storage of registered clusters: the resource store plus what refers to a cluster. */
export interface ClusterStore extends ResourceStore<ClusterSpec> {
  /** Names of the policies that name the cluster, sorted. */
  users(cluster: ResourceName): Promise<string[]>;
  /** Ids of the project's registered clusters, sorted (at most `limit`). */
  ids(projectId: string, limit: number): Promise<string[]>;
}
