import type { SigningRuleRecord, SigningRuleSpec } from '../resources/signing-rule-spec';
import type { ResourceStore } from './resource-store';

/** Storage of signing rules: the resource store plus the query registry hooks ask. */
export interface SigningRuleStore extends ResourceStore<SigningRuleSpec> {
  /** Every enabled rule of a project, ordered by id. */
  enabled(projectId: string): Promise<SigningRuleRecord[]>;
}
