import { failedPrecondition, invalidArgument } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import { DEFAULT_EXEMPT_NAMESPACES, type ClusterSpec } from '../domain/resources/cluster-spec';
import type { ResourceName } from '../domain/resources/resource-record';
import type { Stores } from '../domain/stores/unit-of-work';
import { protoNames } from '../resources/proto-names';
import type { ResourceKind } from '../resources/resource-kind';
import { formatResourceName } from '../resources/resource-names';
import { SpecReader } from '../resources/spec-reader';
import { checkCluster, checkNamespace } from './policy-names';

/** Most namespaces a cluster lists as exempt or enforced. */
const MAX_NAMESPACES = 1000;
/** Most known clusters an "is not registered" message lists. */
const MAX_LISTED = 20;

/**
 * Registered clusters, a kind of the resource kit: a policy may only name one, and an admission adapter
 * serves only one (a typo fails closed instead of admitting everything). Their webhook mode says which
 * namespaces the cluster's webhook covers (docs/adr/0030-clusters-and-webhook-modes.md).
 */
export const CLUSTER_KIND: ResourceKind<ClusterSpec> = {
  ...protoNames('Cluster', 'clusters'),
  singular: 'cluster',
  placeholder: 'cluster',
  idParam: 'clusterId',
  idExample: 'prod-eu1',
  checkId: (id) => checkCluster(id, 'clusterId'),
  outputOnly: ['revision'],
  store: (stores) => stores.clusters,
  parse: parseCluster,
  toMessage: (r) => ({ ...r.spec, revision: String(r.revision) }),
  hooks: { deleting: refuseIfNamed },
};

function parseCluster(input: JsonObject): ClusterSpec {
  const f = new SpecReader(input, 'cluster');
  const webhookMode = f.oneOf('webhookMode', ['OPT_OUT', 'OPT_IN'] as const, 'OPT_OUT');
  const namespaces = (field: string, fallback: readonly string[]): string[] => {
    const list = f.value(field) === undefined || f.value(field) === null ? [...fallback] : f.strings(field, MAX_NAMESPACES);
    list.forEach((ns, i) => checkNamespace(ns, `${f.path(field)}[${i}]`));
    return list;
  };
  return {
    description: f.text('description', { max: 4096 }),
    webhookMode,
    exemptNamespaces: namespaces('exemptNamespaces', DEFAULT_EXEMPT_NAMESPACES),
    enforcedNamespaces: namespaces('enforcedNamespaces', []),
  };
}

/** A cluster named by policies stays: deleting it would leave them protecting nothing. */
async function refuseIfNamed(stores: Stores, r: ResourceName): Promise<void> {
  const users = await stores.clusters.users(r);
  if (users.length > 0) {
    throw failedPrecondition(
      `cluster ${clusterName(r)} is named by ${users.length} polic${users.length === 1 ? 'y' : 'ies'} (${users.slice(0, MAX_LISTED).join(', ')}); ` +
        'delete them or move them to another cluster first',
    );
  }
}

/** INVALID_ARGUMENT unless `cluster` is registered in the project, listing the registered ones. */
export async function requireRegisteredCluster(stores: Stores, projectId: string, cluster: string, field: string): Promise<void> {
  if (await stores.clusters.get({ projectId, id: cluster })) return;
  throw invalidArgument(
    `${field} names cluster ${cluster}, which is not registered in project ${projectId}; ${await knownClusters(stores, projectId)}`,
  );
}

/** "registered clusters: c1, c2" or how to register one. */
export async function knownClusters(stores: Stores, projectId: string): Promise<string> {
  const ids = await stores.clusters.ids(projectId, MAX_LISTED + 1);
  const register = `register it with POST /v1/projects/${projectId}/clusters?clusterId=… (attestd clusters create)`;
  if (ids.length === 0) return `the project has no registered clusters: ${register}`;
  const listed = ids.length > MAX_LISTED ? `${ids.slice(0, MAX_LISTED).join(', ')}, …` : ids.join(', ');
  return `registered clusters: ${listed} (or ${register})`;
}

/** A cluster's full name. */
export const clusterName = (c: ResourceName): string => formatResourceName(CLUSTER_KIND, c);
