import type { Knex } from 'knex';
import type { JsonObject } from '../domain/message-types';
import type { PolicyRecord, PolicyStore } from '../domain/stores/policy-store';
import { keysetPage, plainPage } from './keyset-page';
import type { PageTokens } from './page-token';

/** A row of `policies` as pg returns it (bigint as a string, jsonb parsed). */
type PolicyRow = {
  project_id: string;
  policy_id: string;
  cluster: string;
  namespaces: string[];
  enabled: boolean;
  revision: string;
  body: JsonObject;
  create_time: Date;
  update_time: Date;
};

/** Security policies in Postgres, with their witnesses in a join table guarded by foreign keys. */
export class PostgresPolicyStore implements PolicyStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async insert(r: PolicyRecord): Promise<boolean> {
    const rows = await this.db('policies').insert(row(r)).onConflict(['project_id', 'policy_id']).ignore().returning('policy_id');
    if (rows.length === 0) return false;
    await this.setWitnesses(r);
    return true;
  }

  async get(projectId: string, policyId: string, forUpdate = false): Promise<PolicyRecord | undefined> {
    const q = this.db('policies').where({ project_id: projectId, policy_id: policyId }).first();
    if (forUpdate) q.forUpdate();
    const found = await q;
    return found ? toRecord(found) : undefined;
  }

  async list(
    projectId: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ items: PolicyRecord[]; nextPageToken: string }> {
    const base = this.db('policies').where({ project_id: projectId });
    return keysetPage(this.tokens, base, plainPage('policy_id', `policies|${projectId}`, pageSize, pageToken), toRecord);
  }

  async update(r: PolicyRecord): Promise<void> {
    await this.db('policies').where({ project_id: r.projectId, policy_id: r.policyId }).update(row(r));
    await this.db('policy_witnesses').where({ project_id: r.projectId, policy_id: r.policyId }).delete();
    await this.setWitnesses(r);
  }

  async delete(projectId: string, policyId: string): Promise<boolean> {
    return (await this.db('policies').where({ project_id: projectId, policy_id: policyId }).delete()) > 0;
  }

  async enabledFor(projectId: string, cluster: string, namespace: string): Promise<PolicyRecord[]> {
    const rows = await this.db('policies')
      .where({ project_id: projectId, cluster, enabled: true })
      .whereRaw('? = ANY (namespaces)', [namespace])
      .orderBy('policy_id');
    return rows.map(toRecord);
  }

  private async setWitnesses(r: PolicyRecord): Promise<void> {
    const rows = r.witnesses.map((name) => {
      const [, witnessProjectId, , witnessId] = name.split('/');
      return { project_id: r.projectId, policy_id: r.policyId, witness_project_id: witnessProjectId, witness_id: witnessId };
    });
    if (rows.length > 0) await this.db('policy_witnesses').insert(rows);
  }
}

function row(r: PolicyRecord) {
  return {
    project_id: r.projectId,
    policy_id: r.policyId,
    cluster: r.cluster,
    namespaces: r.namespaces,
    enabled: r.enabled,
    revision: r.revision,
    body: JSON.stringify(r.body),
    create_time: r.createTime,
    update_time: r.updateTime,
  };
}

function toRecord(r: PolicyRow): PolicyRecord {
  return {
    projectId: r.project_id,
    policyId: r.policy_id,
    cluster: r.cluster,
    namespaces: r.namespaces,
    enabled: r.enabled,
    revision: Number(r.revision),
    witnesses: (r.body.witnesses as string[]) ?? [],
    body: r.body,
    createTime: new Date(r.create_time).toISOString(),
    updateTime: new Date(r.update_time).toISOString(),
  };
}
