import type { ImportRuleRecord, ImportRuleSpec } from '../resources/import-rule-spec';
import type { ResourceStore } from './resource-store';

/** Storage of import rules: the resource store plus the query registry hooks and imports ask. */
export interface ImportRuleStore extends ResourceStore<ImportRuleSpec> {
  /** Every enabled rule of a project, ordered by id. */
  enabled(projectId: string): Promise<ImportRuleRecord[]>;
}
