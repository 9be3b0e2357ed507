import type { WitnessRecord, WitnessStore } from '../../domain/stores/witness-store';
import type { PageTokens } from '../page-token';
import { compareCodePoints } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { NOTES, POLICIES, PROJECTS, SIGNING_RULES, WITNESSES } from './memory-schema';
import { refuseIfReferenced, requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, jsonb, thaw, timestamp } from './stored-values';

/**
 * Witnesses in memory: a minimal port until the resource kit's memory store (memory-resource-store.ts)
 * replaces it. Keeps the Postgres constraints: a witness needs its project and its note, and one in use by a
 * policy or signing rule cannot be deleted.
 */
export class MemoryWitnessStore implements WitnessStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async insert(r: WitnessRecord): Promise<boolean> {
    const witnesses = this.tables.table(WITNESSES);
    const row = this.row(r);
    if (witnesses.get(witnesses.keyOf(row))) return false;
    witnesses.put(row);
    return true;
  }

  async get(projectId: string, witnessId: string): Promise<WitnessRecord | undefined> {
    const row = this.tables.table(WITNESSES).get(rowKey(projectId, witnessId));
    return row ? thaw(row) : undefined;
  }

  async getMany(names: readonly { projectId: string; witnessId: string }[]): Promise<Map<string, WitnessRecord>> {
    const result = new Map<string, WitnessRecord>();
    for (const n of names) {
      const row = this.tables.table(WITNESSES).get(rowKey(n.projectId, n.witnessId));
      if (row) result.set(`projects/${row.projectId}/witnesses/${row.witnessId}`, thaw(row));
    }
    return result;
  }

  async list(
    projectId: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ items: WitnessRecord[]; nextPageToken: string }> {
    const rows = this.tables
      .table(WITNESSES)
      .rows()
      .filter((w) => w.projectId === projectId);
    return memoryPage(this.tokens, rows, { key: (w) => w.witnessId, scope: `witnesses|${projectId}`, pageSize, pageToken }, thaw);
  }

  async update(r: WitnessRecord): Promise<void> {
    const witnesses = this.tables.table(WITNESSES);
    if (witnesses.get(rowKey(r.projectId, r.witnessId))) witnesses.put(this.row(r));
  }

  async delete(projectId: string, witnessId: string): Promise<boolean> {
    const users = await this.users(projectId, witnessId);
    refuseIfReferenced(users.length > 0, `witness projects/${projectId}/witnesses/${witnessId}`);
    return this.tables.table(WITNESSES).delete(rowKey(projectId, witnessId));
  }

  async users(projectId: string, witnessId: string): Promise<string[]> {
    const name = `projects/${projectId}/witnesses/${witnessId}`;
    const policies = this.tables
      .table(POLICIES)
      .rows()
      .filter((p) => p.witnesses.includes(name))
      .map((p) => `projects/${p.projectId}/policies/${p.policyId}`);
    const rules = this.tables
      .table(SIGNING_RULES)
      .rows()
      .filter((r) => r.projectId === projectId && r.witnessId === witnessId)
      .map((r) => `projects/${r.projectId}/signingRules/${r.ruleId}`);
    return [...policies, ...rules].sort(compareCodePoints);
  }

  private row(r: WitnessRecord): WitnessRecord {
    requireParent(this.tables.table(PROJECTS).get(rowKey(r.projectId)) !== undefined, `project ${r.projectId}`);
    requireParent(
      this.tables.table(NOTES).get(rowKey(r.projectId, r.witnessId)) !== undefined,
      `note projects/${r.projectId}/notes/${r.witnessId}`,
    );
    checkText(r);
    return Object.freeze({
      projectId: r.projectId,
      witnessId: r.witnessId,
      description: r.description,
      keys: jsonb(r.keys),
      publicKeys: jsonb(r.publicKeys),
      createTime: timestamp(r.createTime),
      updateTime: timestamp(r.updateTime),
    });
  }
}
