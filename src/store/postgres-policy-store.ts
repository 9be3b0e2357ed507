import type { Knex } from 'knex';
import { policyWitnesses, type PolicyRecord, type PolicySpec } from '../domain/resources/policy-spec';
import type { PolicyStore } from '../domain/stores/policy-store';
import type { PageTokens } from './page-token';
import { PostgresResourceStore, type ResourceRow, type ResourceTable } from './postgres-resource-store';

/** The policies table: cluster, namespaces and enabled as columns (admission queries them), the spec in body. */
const POLICIES: ResourceTable<PolicySpec> = {
  table: 'policies',
  idColumn: 'policy_id',
  scope: 'policies',
  columns: (s) => ({ cluster: s.cluster, namespaces: s.namespaces, enabled: s.enabled, body: JSON.stringify(s) }),
  // Rows written before the resource kit hold the whole Policy message in body: a superset of the spec.
  spec: (row: ResourceRow) => {
    const body = row.body as Partial<PolicySpec>;
    return {
      witnesses: body.witnesses ?? [],
      cluster: String(row.cluster),
      namespaces: row.namespaces as string[],
      enabled: row.enabled === true,
      note: body.note ?? '',
      enforcement: body.enforcement === 'DRY_RUN' ? 'DRY_RUN' : 'ENFORCE',
      requiredWitnesses: Number(body.requiredWitnesses ?? 0),
      allowlist: body.allowlist ?? [],
      breakglassAllowed: body.breakglassAllowed === true,
      attestations: body.attestations ?? [],
      ...(body.vulnerabilities ? { vulnerabilities: body.vulnerabilities } : {}),
    };
  },
};

/** Security policies in Postgres, their witnesses also in a join table guarded by foreign keys. */
export class PostgresPolicyStore extends PostgresResourceStore<PolicySpec> implements PolicyStore {
  constructor(db: Knex, tokens: PageTokens) {
    super(db, tokens, POLICIES);
  }

  // A policy is two tables: each write is one transaction (a savepoint inside the caller's), so that a witness
  // missing from the join table's foreign key leaves no policy row behind.
  override insert(r: PolicyRecord): Promise<boolean> {
    return this.db.transaction(async (trx) => (await this.insertRow(trx, r)) && (await this.setWitnesses(trx, r, false)));
  }

  override async update(r: PolicyRecord): Promise<void> {
    await this.db.transaction(async (trx) => (await this.updateRow(trx, r)) && (await this.setWitnesses(trx, r, true)));
  }

  enabledFor(projectId: string, cluster: string, namespace: string): Promise<PolicyRecord[]> {
    return this.select((q) => q.where({ project_id: projectId, cluster, enabled: true }).whereRaw('? = ANY (namespaces)', [namespace]));
  }

  private async setWitnesses(db: Knex, r: PolicyRecord, replace: boolean): Promise<true> {
    if (replace) await db('policy_witnesses').where(this.key(r)).delete();
    // Witnesses of attestation requirements too: a witness a policy uses in any way cannot be deleted.
    const rows = policyWitnesses(r.spec).map((name) => {
      const [, witnessProjectId, , witnessId] = name.split('/');
      return { ...this.key(r), witness_project_id: witnessProjectId, witness_id: witnessId };
    });
    if (rows.length > 0) await db('policy_witnesses').insert(rows);
    return true;
  }
}
