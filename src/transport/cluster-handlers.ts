import type { ClusterSpec } from '../domain/resources/cluster-spec';
import type { ClusterReportService } from '../policies/cluster-report-service';
import type { ResourceService } from '../resources/resource-service';
import { resourceHandlers } from './resource-handlers';
import { str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Clusters: the resource kit's methods, GetCluster with the adapters' reports, and ReportIn. */
export function clusterHandlers(clusters: ResourceService<ClusterSpec>, reports: ClusterReportService): ServiceHandlers {
  return resourceHandlers(clusters, {
    GetCluster: async (ctx, r) => reports.withAdapters(await clusters.get(ctx, str(r.name))),
    ReportIn: (ctx, r) =>
      reports.reportIn(ctx, str(r.name), {
        adapter: str(r.adapter),
        version: str(r.version),
        mode: str(r.mode),
        decisionsServed: Number(r.decisionsServed ?? 0),
      }),
  });
}
