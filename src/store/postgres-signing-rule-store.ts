import type { Knex } from 'knex';
import type { SigningRuleRecord, SigningRuleSpec } from '../domain/resources/signing-rule-spec';
import type { SigningRuleStore } from '../domain/stores/signing-rule-store';
import type { PageTokens } from './page-token';
import { PostgresResourceStore, type ResourceRow, type ResourceTable } from './postgres-resource-store';

/** The signing_rules table: what hooks match on as columns, the witness as a foreign key (its id; same project). */
export const SIGNING_RULES: ResourceTable<SigningRuleSpec> = {
  table: 'signing_rules',
  idColumn: 'rule_id',
  scope: 'signingRules',
  columns: (s) => ({
    registry: s.registry,
    namespace: s.namespace,
    repositories: s.repositories,
    witness_id: s.witness.slice(s.witness.lastIndexOf('/') + 1),
    enabled: s.enabled,
    body: JSON.stringify(s),
  }),
  spec: (row: ResourceRow) => ({
    registry: String(row.registry),
    namespace: String(row.namespace),
    repositories: String(row.repositories),
    witness: `projects/${row.project_id}/witnesses/${String(row.witness_id)}`,
    enabled: row.enabled === true,
    description: (row.body as Partial<SigningRuleSpec>).description ?? '',
  }),
};

/** Signing rules in Postgres. */
export class PostgresSigningRuleStore extends PostgresResourceStore<SigningRuleSpec> implements SigningRuleStore {
  constructor(db: Knex, tokens: PageTokens) {
    super(db, tokens, SIGNING_RULES);
  }

  enabled(projectId: string): Promise<SigningRuleRecord[]> {
    return this.select((q) => q.where({ project_id: projectId, enabled: true }));
  }
}
