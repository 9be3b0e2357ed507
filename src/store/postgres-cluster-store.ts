import type { Knex } from 'knex';
import { DEFAULT_EXEMPT_NAMESPACES, type AdapterReport, type ClusterSpec } from '../domain/resources/cluster-spec';
import type { ResourceName } from '../domain/resources/resource-record';
import type { ClusterStore } from '../domain/stores/cluster-store';
import type { PageTokens } from './page-token';
import { PostgresResourceStore, type ResourceRow, type ResourceTable } from './postgres-resource-store';

/** The clusters table: the spec in body (rows the migration registered hold only a description). */
const CLUSTERS: ResourceTable<ClusterSpec> = {
  table: 'clusters',
  idColumn: 'cluster_id',
  scope: 'clusters',
  columns: (s) => ({ body: JSON.stringify(s) }),
  spec: (row: ResourceRow) => {
    const body = row.body as Partial<ClusterSpec>;
    return {
      description: body.description ?? '',
      webhookMode: body.webhookMode === 'OPT_IN' ? 'OPT_IN' : 'OPT_OUT',
      exemptNamespaces: body.exemptNamespaces ?? [...DEFAULT_EXEMPT_NAMESPACES],
      enforcedNamespaces: body.enforcedNamespaces ?? [],
    };
  },
};

/** Registered clusters in Postgres; policies name them through a foreign key. */
export class PostgresClusterStore extends PostgresResourceStore<ClusterSpec> implements ClusterStore {
  constructor(db: Knex, tokens: PageTokens) {
    super(db, tokens, CLUSTERS);
  }

  async users(c: ResourceName): Promise<string[]> {
    const rows: { policy_id: string }[] = await this.db('policies')
      .where({ project_id: c.projectId, cluster: c.id })
      .select('policy_id')
      .orderBy('policy_id');
    return rows.map((r) => `projects/${c.projectId}/policies/${r.policy_id}`);
  }

  async ids(projectId: string, limit: number): Promise<string[]> {
    const rows: { cluster_id: string }[] = await this.db('clusters')
      .where({ project_id: projectId })
      .select('cluster_id')
      .orderBy('cluster_id')
      .limit(limit);
    return rows.map((r) => r.cluster_id);
  }

  async reportIn(r: AdapterReport): Promise<void> {
    await this.db('cluster_adapters')
      .insert({
        project_id: r.projectId,
        cluster_id: r.clusterId,
        adapter: r.adapter,
        version: r.version,
        mode: r.mode,
        first_seen: r.firstSeen,
        last_seen: r.lastSeen,
        decisions_served: r.decisionsServed,
      })
      .onConflict(['project_id', 'cluster_id', 'adapter'])
      .merge(['version', 'mode', 'last_seen', 'decisions_served']);
  }

  async adapters(c: ResourceName, limit: number): Promise<AdapterReport[]> {
    const rows: AdapterRow[] = await this.db('cluster_adapters')
      .where({ project_id: c.projectId, cluster_id: c.id })
      .orderBy([{ column: 'last_seen', order: 'desc' }, 'adapter'])
      .limit(limit);
    return rows.map((row) => ({
      projectId: row.project_id,
      clusterId: row.cluster_id,
      adapter: row.adapter,
      version: row.version,
      mode: row.mode === 'in-process' ? 'in-process' : 'remote',
      firstSeen: new Date(row.first_seen).toISOString(),
      lastSeen: new Date(row.last_seen).toISOString(),
      decisionsServed: Number(row.decisions_served),
    }));
  }
}

interface AdapterRow {
  readonly project_id: string;
  readonly cluster_id: string;
  readonly adapter: string;
  readonly version: string;
  readonly mode: string;
  readonly first_seen: Date | string;
  readonly last_seen: Date | string;
  readonly decisions_served: string | number;
}
