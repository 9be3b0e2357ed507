import type { Access } from '../auth/access';
import { invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import type { JsonObject } from '../domain/message-types';
import { quote } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { AdapterReport, ClusterSpec } from '../domain/resources/cluster-spec';
import { projectNotFound } from '../domain/stores/require-project';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import { parseResourceName } from '../resources/resource-names';
import type { ResourceService } from '../resources/resource-service';
import { CLUSTER_KIND, knownClusters } from './cluster-kind';

/** Most adapters a cluster shows. */
const MAX_ADAPTERS = 100;

/** What an adapter sends when it reports in. */
export interface ReportInInput {
  readonly adapter: string;
  readonly version: string;
  readonly mode: string;
  readonly decisionsServed: number;
}

/**
 * Admission adapters report in per cluster (which adapter, its version, when last seen, how many decisions it
 * served), so that an auditor sees which clusters are actually enforcing. A report is a heartbeat, not a change:
 * it is neither revisioned nor audited. Reporting in also tells the adapter whether its settings are right.
 */
export class ClusterReportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly clusters: ResourceService<ClusterSpec>,
  ) {}

  /** Records the report; NOT_FOUND naming the project or the registered clusters when the adapter's settings are wrong. */
  async reportIn(ctx: RequestContext, name: string, input: ReportInInput): Promise<JsonObject> {
    const cluster = parseResourceName(CLUSTER_KIND, name);
    this.access.check(ctx, 'clusters.report', cluster.projectId);
    const adapter = text(input.adapter, 'adapter', 253, true);
    const version = text(input.version, 'version', 100, false);
    if (input.mode !== 'in-process' && input.mode !== 'remote')
      throw invalidArgument(`mode must be "in-process" or "remote", got ${quote(input.mode)}`);
    if (!Number.isSafeInteger(input.decisionsServed) || input.decisionsServed < 0)
      throw invalidArgument(`decisionsServed must be a whole number ≥ 0, got ${quote(String(input.decisionsServed))}`);
    const stores = this.uow.stores;
    if (!(await stores.projects.get(cluster.projectId))) throw projectNotFound(cluster.projectId);
    if (!(await stores.clusters.get(cluster)))
      throw notFound(
        `cluster ${cluster.id} is not registered in project ${cluster.projectId}; ${await knownClusters(stores, cluster.projectId)}`,
      );
    const now = this.clock.now();
    await stores.clusters.reportIn({
      projectId: cluster.projectId,
      clusterId: cluster.id,
      adapter,
      version,
      mode: input.mode,
      firstSeen: now,
      lastSeen: now,
      decisionsServed: input.decisionsServed,
    });
    return this.withAdapters(await this.clusters.get(ctx, name));
  }

  /** A cluster message with its adapters' reports. */
  async withAdapters(message: JsonObject): Promise<JsonObject> {
    const cluster = parseResourceName(CLUSTER_KIND, String(message.name));
    const reports = await this.uow.stores.clusters.adapters(cluster, MAX_ADAPTERS);
    return { ...message, adapters: reports.map(toMessage) };
  }
}

function toMessage(r: AdapterReport): JsonObject {
  return {
    adapter: r.adapter,
    version: r.version,
    mode: r.mode,
    firstSeen: r.firstSeen,
    lastSeen: r.lastSeen,
    decisionsServed: String(r.decisionsServed),
  };
}

function text(value: string, field: string, max: number, required: boolean): string {
  if (required && value === '') throw invalidArgument(`${field} is required: the adapter's host name`);
  if (value.length > max || [...value].some((c) => c.charCodeAt(0) < 0x20))
    throw invalidArgument(`${field} must be at most ${max} printable characters`);
  return value;
}
