import type { PolicyRecord, PolicyStore } from '../../domain/stores/policy-store';
import type { PageTokens } from '../page-token';
import { compareCodePoints } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { POLICIES, PROJECTS, WITNESSES } from './memory-schema';
import { requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, jsonb, thaw, timestamp } from './stored-values';

/**
 * Security policies in memory: a minimal port until the resource kit's memory store (memory-resource-store.ts)
 * replaces it. Like the Postgres join table, every witness a policy names must exist.
 */
export class MemoryPolicyStore implements PolicyStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async insert(r: PolicyRecord): Promise<boolean> {
    const policies = this.tables.table(POLICIES);
    const row = this.row(r);
    if (policies.get(policies.keyOf(row))) return false;
    policies.put(row);
    return true;
  }

  async get(projectId: string, policyId: string): Promise<PolicyRecord | undefined> {
    const row = this.tables.table(POLICIES).get(rowKey(projectId, policyId));
    return row ? thaw(row) : undefined;
  }

  async list(
    projectId: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ items: PolicyRecord[]; nextPageToken: string }> {
    const rows = this.tables
      .table(POLICIES)
      .rows()
      .filter((p) => p.projectId === projectId);
    return memoryPage(this.tokens, rows, { key: (p) => p.policyId, scope: `policies|${projectId}`, pageSize, pageToken }, thaw);
  }

  async update(r: PolicyRecord): Promise<void> {
    const policies = this.tables.table(POLICIES);
    if (policies.get(rowKey(r.projectId, r.policyId))) policies.put(this.row(r));
  }

  async delete(projectId: string, policyId: string): Promise<boolean> {
    return this.tables.table(POLICIES).delete(rowKey(projectId, policyId));
  }

  async enabledFor(projectId: string, cluster: string, namespace: string): Promise<PolicyRecord[]> {
    return this.tables
      .table(POLICIES)
      .rows()
      .filter((p) => p.projectId === projectId && p.cluster === cluster && p.enabled && p.namespaces.includes(namespace))
      .sort((a, b) => compareCodePoints(a.policyId, b.policyId))
      .map(thaw);
  }

  private row(r: PolicyRecord): PolicyRecord {
    requireParent(this.tables.table(PROJECTS).get(rowKey(r.projectId)) !== undefined, `project ${r.projectId}`);
    for (const name of r.witnesses) {
      const [, projectId = '', , witnessId = ''] = name.split('/');
      requireParent(this.tables.table(WITNESSES).get(rowKey(projectId, witnessId)) !== undefined, `witness ${name}`);
    }
    checkText(r);
    const body = jsonb(r.body);
    return Object.freeze({
      projectId: r.projectId,
      policyId: r.policyId,
      cluster: r.cluster,
      namespaces: jsonb(r.namespaces),
      enabled: r.enabled,
      revision: r.revision,
      // Read back from the body, as the Postgres store does.
      witnesses: jsonb((body.witnesses as string[] | undefined) ?? []),
      body,
      createTime: timestamp(r.createTime),
      updateTime: timestamp(r.updateTime),
    });
  }
}
