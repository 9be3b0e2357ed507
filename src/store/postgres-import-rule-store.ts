import type { Knex } from 'knex';
import type { ImportRuleRecord, ImportRuleSpec } from '../domain/resources/import-rule-spec';
import type { ImportRuleStore } from '../domain/stores/import-rule-store';
import type { PageTokens } from './page-token';
import { PostgresResourceStore, type ResourceRow, type ResourceTable } from './postgres-resource-store';

/** The import_rules table: what hooks match on as columns, the spec in body (witnesses also in a join table). */
export const IMPORT_RULES: ResourceTable<ImportRuleSpec> = {
  table: 'import_rules',
  idColumn: 'rule_id',
  scope: 'importRules',
  columns: (s) => ({
    registry: s.registry,
    namespace: s.namespace,
    repositories: s.repositories,
    enabled: s.enabled,
    body: JSON.stringify(s),
  }),
  spec: (row: ResourceRow) => {
    const body = row.body as Partial<ImportRuleSpec>;
    return {
      registry: String(row.registry),
      namespace: String(row.namespace),
      repositories: String(row.repositories),
      witnesses: body.witnesses ?? [],
      plainHttp: body.plainHttp === true,
      enabled: row.enabled === true,
      description: body.description ?? '',
    };
  },
};

/** Import rules in Postgres, their witnesses also in a join table guarded by foreign keys. */
export class PostgresImportRuleStore extends PostgresResourceStore<ImportRuleSpec> implements ImportRuleStore {
  constructor(db: Knex, tokens: PageTokens) {
    super(db, tokens, IMPORT_RULES);
  }

  // Two tables: each write is one savepoint inside the caller's transaction, so that a witness missing from the
  // join table's foreign key leaves no rule row behind.
  override insert(r: ImportRuleRecord): Promise<boolean> {
    return this.db.transaction(async (trx) => (await this.insertRow(trx, r)) && (await this.setWitnesses(trx, r, false)));
  }

  override async update(r: ImportRuleRecord): Promise<void> {
    await this.db.transaction(async (trx) => (await this.updateRow(trx, r)) && (await this.setWitnesses(trx, r, true)));
  }

  enabled(projectId: string): Promise<ImportRuleRecord[]> {
    return this.select((q) => q.where({ project_id: projectId, enabled: true }));
  }

  private async setWitnesses(db: Knex, r: ImportRuleRecord, replace: boolean): Promise<true> {
    if (replace) await db('import_rule_witnesses').where(this.key(r)).delete();
    const rows = r.spec.witnesses.map((name) => ({ ...this.key(r), witness_id: name.slice(name.lastIndexOf('/') + 1) }));
    if (rows.length > 0) await db('import_rule_witnesses').insert(rows);
    return true;
  }
}
