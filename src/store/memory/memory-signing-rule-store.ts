import type { SigningRuleRecord, SigningRuleStore } from '../../domain/stores/signing-rule-store';
import type { PageTokens } from '../page-token';
import { compareCodePoints } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { PROJECTS, SIGNING_RULES, WITNESSES } from './memory-schema';
import { requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, jsonb, thaw, timestamp } from './stored-values';

/**
 * Signing rules in memory: a minimal port until the resource kit's memory store (memory-resource-store.ts)
 * replaces it. Like the Postgres foreign key, a rule's witness must exist in its project.
 */
export class MemorySigningRuleStore implements SigningRuleStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async insert(r: SigningRuleRecord): Promise<boolean> {
    const rules = this.tables.table(SIGNING_RULES);
    const row = this.row(r);
    if (rules.get(rules.keyOf(row))) return false;
    rules.put(row);
    return true;
  }

  async get(projectId: string, ruleId: string): Promise<SigningRuleRecord | undefined> {
    const row = this.tables.table(SIGNING_RULES).get(rowKey(projectId, ruleId));
    return row ? thaw(row) : undefined;
  }

  async list(
    projectId: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ items: SigningRuleRecord[]; nextPageToken: string }> {
    const rows = this.tables
      .table(SIGNING_RULES)
      .rows()
      .filter((r) => r.projectId === projectId);
    return memoryPage(this.tokens, rows, { key: (r) => r.ruleId, scope: `signingRules|${projectId}`, pageSize, pageToken }, thaw);
  }

  async update(r: SigningRuleRecord): Promise<void> {
    const rules = this.tables.table(SIGNING_RULES);
    if (rules.get(rowKey(r.projectId, r.ruleId))) rules.put(this.row(r));
  }

  async delete(projectId: string, ruleId: string): Promise<boolean> {
    return this.tables.table(SIGNING_RULES).delete(rowKey(projectId, ruleId));
  }

  async enabled(projectId: string): Promise<SigningRuleRecord[]> {
    return this.tables
      .table(SIGNING_RULES)
      .rows()
      .filter((r) => r.projectId === projectId && r.enabled)
      .sort((a, b) => compareCodePoints(a.ruleId, b.ruleId))
      .map(thaw);
  }

  private row(r: SigningRuleRecord): SigningRuleRecord {
    requireParent(this.tables.table(PROJECTS).get(rowKey(r.projectId)) !== undefined, `project ${r.projectId}`);
    requireParent(this.tables.table(WITNESSES).get(rowKey(r.projectId, r.witnessId)) !== undefined, `witness ${r.witnessId}`);
    checkText(r);
    return Object.freeze({ ...r, body: jsonb(r.body), createTime: timestamp(r.createTime), updateTime: timestamp(r.updateTime) });
  }
}
