import type { Knex } from 'knex';
import type { ExternalKey, WitnessRecord, WitnessStore } from '../domain/stores/witness-store';
import { keysetPage, plainPage } from './keyset-page';
import type { PageTokens } from './page-token';

/** A row of `witnesses` as pg returns it (jsonb parsed). */
type WitnessRow = {
  project_id: string;
  witness_id: string;
  description: string;
  keys: string[];
  public_keys: ExternalKey[];
  create_time: Date;
  update_time: Date;
};

/** Witnesses in Postgres. */
export class PostgresWitnessStore implements WitnessStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async insert(r: WitnessRecord): Promise<boolean> {
    const rows = await this.db('witnesses').insert(row(r)).onConflict(['project_id', 'witness_id']).ignore().returning('witness_id');
    return rows.length === 1;
  }

  async get(projectId: string, witnessId: string, forUpdate = false): Promise<WitnessRecord | undefined> {
    const q = this.db('witnesses').where({ project_id: projectId, witness_id: witnessId }).first();
    if (forUpdate) q.forUpdate();
    const found = await q;
    return found ? toRecord(found) : undefined;
  }

  async getMany(names: readonly { projectId: string; witnessId: string }[]): Promise<Map<string, WitnessRecord>> {
    const result = new Map<string, WitnessRecord>();
    if (names.length === 0) return result;
    const rows = await this.db('witnesses').whereIn(
      ['project_id', 'witness_id'],
      names.map((n) => [n.projectId, n.witnessId]),
    );
    for (const r of rows.map(toRecord)) result.set(`projects/${r.projectId}/witnesses/${r.witnessId}`, r);
    return result;
  }

  async list(
    projectId: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ items: WitnessRecord[]; nextPageToken: string }> {
    const base = this.db('witnesses').where({ project_id: projectId });
    return keysetPage(this.tokens, base, plainPage('witness_id', `witnesses|${projectId}`, pageSize, pageToken), toRecord);
  }

  async update(r: WitnessRecord): Promise<void> {
    await this.db('witnesses').where({ project_id: r.projectId, witness_id: r.witnessId }).update(row(r));
  }

  async delete(projectId: string, witnessId: string): Promise<boolean> {
    return (await this.db('witnesses').where({ project_id: projectId, witness_id: witnessId }).delete()) > 0;
  }

  async users(projectId: string, witnessId: string): Promise<string[]> {
    const rows: { name: string }[] = await this.db('policy_witnesses')
      .where({ witness_project_id: projectId, witness_id: witnessId })
      .select(this.db.raw(`'projects/' || project_id || '/policies/' || policy_id AS name`))
      .unionAll((q) => {
        q.from('signing_rules')
          .where({ project_id: projectId, witness_id: witnessId })
          .select(this.db.raw(`'projects/' || project_id || '/signingRules/' || rule_id AS name`));
      })
      .orderBy('name');
    return rows.map((r) => r.name);
  }
}

function row(r: WitnessRecord) {
  return {
    project_id: r.projectId,
    witness_id: r.witnessId,
    description: r.description,
    keys: JSON.stringify(r.keys),
    public_keys: JSON.stringify(r.publicKeys),
    create_time: r.createTime,
    update_time: r.updateTime,
  };
}

function toRecord(r: WitnessRow): WitnessRecord {
  return {
    projectId: r.project_id,
    witnessId: r.witness_id,
    description: r.description,
    keys: r.keys,
    publicKeys: r.public_keys,
    createTime: new Date(r.create_time).toISOString(),
    updateTime: new Date(r.update_time).toISOString(),
  };
}
