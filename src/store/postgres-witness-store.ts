import type { Knex } from 'knex';
import type { ResourceName } from '../domain/resources/resource-record';
import type { ExternalKey, WitnessSpec } from '../domain/resources/witness-spec';
import type { WitnessStore } from '../domain/stores/witness-store';
import type { PageTokens } from './page-token';
import { PostgresResourceStore, type ResourceRow, type ResourceTable } from './postgres-resource-store';

/** The witnesses table: every spec field a column; the note of the same id is a foreign key. */
const WITNESSES: ResourceTable<WitnessSpec> = {
  table: 'witnesses',
  idColumn: 'witness_id',
  scope: 'witnesses',
  columns: (s) => ({
    description: s.description,
    keys: JSON.stringify(s.keys),
    public_keys: JSON.stringify(s.publicKeys),
    notes: JSON.stringify(s.notes),
    accept_raw_envelope: s.acceptRawEnvelope,
  }),
  spec: (row: ResourceRow) => ({
    description: String(row.description),
    keys: row.keys as string[],
    publicKeys: row.public_keys as ExternalKey[],
    notes: (row.notes as string[] | null) ?? [],
    acceptRawEnvelope: row.accept_raw_envelope === true,
  }),
};

/** Witnesses in Postgres. */
export class PostgresWitnessStore extends PostgresResourceStore<WitnessSpec> implements WitnessStore {
  constructor(db: Knex, tokens: PageTokens) {
    super(db, tokens, WITNESSES);
  }

  async users(w: ResourceName): Promise<string[]> {
    const rows: { name: string }[] = await this.db('policy_witnesses')
      .where({ witness_project_id: w.projectId, witness_id: w.id })
      .select(this.db.raw(`'projects/' || project_id || '/policies/' || policy_id AS name`))
      .unionAll((q) => {
        void q
          .from('signing_rules')
          .where({ project_id: w.projectId, witness_id: w.id })
          .select(this.db.raw(`'projects/' || project_id || '/signingRules/' || rule_id AS name`));
      })
      .unionAll((q) => {
        void q
          .from('import_rule_witnesses')
          .where({ project_id: w.projectId, witness_id: w.id })
          .select(this.db.raw(`'projects/' || project_id || '/importRules/' || rule_id AS name`));
      })
      .orderBy('name');
    return rows.map((r) => r.name);
  }
}
