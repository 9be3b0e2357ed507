import type { Knex } from 'knex';
import type { JsonObject } from '../domain/message-types';
import type { SigningRuleRecord, SigningRuleStore } from '../domain/stores/signing-rule-store';
import type { PageTokens } from './page-token';

/** A row of `signing_rules` as pg returns it (bigint as a string, jsonb parsed). */
type SigningRuleRow = {
  project_id: string;
  rule_id: string;
  registry: string;
  namespace: string;
  repositories: string;
  witness_id: string;
  enabled: boolean;
  revision: string;
  body: JsonObject;
  create_time: Date;
  update_time: Date;
};

/** Signing rules in Postgres; the witness is a foreign key. */
export class PostgresSigningRuleStore implements SigningRuleStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async insert(r: SigningRuleRecord): Promise<boolean> {
    const rows = await this.db('signing_rules').insert(row(r)).onConflict(['project_id', 'rule_id']).ignore().returning('rule_id');
    return rows.length === 1;
  }

  async get(projectId: string, ruleId: string, forUpdate = false): Promise<SigningRuleRecord | undefined> {
    const q = this.db('signing_rules').where({ project_id: projectId, rule_id: ruleId }).first();
    if (forUpdate) q.forUpdate();
    const found = await q;
    return found ? toRecord(found) : undefined;
  }

  async list(
    projectId: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ items: SigningRuleRecord[]; nextPageToken: string }> {
    const scope = `signingRules|${projectId}`;
    const after = this.tokens.decode(scope, pageToken);
    const q = this.db('signing_rules')
      .where({ project_id: projectId })
      .orderBy('rule_id')
      .limit(pageSize + 1);
    if (after !== undefined) q.where('rule_id', '>', after);
    const rows = await q;
    const more = rows.length > pageSize;
    const items = (more ? rows.slice(0, pageSize) : rows).map(toRecord);
    return { items, nextPageToken: more ? this.tokens.encode(scope, items[items.length - 1]!.ruleId) : '' };
  }

  async update(r: SigningRuleRecord): Promise<void> {
    await this.db('signing_rules').where({ project_id: r.projectId, rule_id: r.ruleId }).update(row(r));
  }

  async delete(projectId: string, ruleId: string): Promise<boolean> {
    return (await this.db('signing_rules').where({ project_id: projectId, rule_id: ruleId }).delete()) > 0;
  }

  async enabled(projectId: string): Promise<SigningRuleRecord[]> {
    const rows = await this.db('signing_rules').where({ project_id: projectId, enabled: true }).orderBy('rule_id');
    return rows.map(toRecord);
  }
}

function row(r: SigningRuleRecord) {
  return {
    project_id: r.projectId,
    rule_id: r.ruleId,
    registry: r.registry,
    namespace: r.namespace,
    repositories: r.repositories,
    witness_id: r.witnessId,
    enabled: r.enabled,
    revision: r.revision,
    body: JSON.stringify(r.body),
    create_time: r.createTime,
    update_time: r.updateTime,
  };
}

function toRecord(r: SigningRuleRow): SigningRuleRecord {
  return {
    projectId: r.project_id,
    ruleId: r.rule_id,
    registry: r.registry,
    namespace: r.namespace,
    repositories: r.repositories,
    witnessId: r.witness_id,
    enabled: r.enabled,
    revision: Number(r.revision),
    body: r.body,
    createTime: new Date(r.create_time).toISOString(),
    updateTime: new Date(r.update_time).toISOString(),
  };
}
