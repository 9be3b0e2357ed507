import type { Knex } from 'knex';
import type { JsonObject, ListQuery, Page } from '../domain/message-types';
import type { DecisionRecord, DecisionStore } from '../domain/stores/decision-store';
import type { FilterFields } from './filter-sql';
import { keysetPage } from './keyset-page';
import type { PageTokens } from './page-token';

/** Decision fields a filter may name. */
export const DECISION_FILTER_FIELDS: FilterFields = Object.freeze({
  cluster: { column: 'cluster', type: 'string' },
  namespace: { column: 'namespace', type: 'string' },
  allowed: { column: 'allowed', type: 'bool' },
  source: { column: 'source', type: 'string' },
  kind: { column: 'object_kind', type: 'string' },
  actor: { column: 'actor', type: 'string' },
  time: { column: 'time', type: 'timestamp' },
  // Any of the decision's images: image="repo@sha256:…" (exact), image="registry/repo*" (prefix), image:"sha256:…" (contains).
  image: { column: 'images', type: 'string', list: true },
});

const INSERT_SQL = `
  INSERT INTO decisions (decision_id, project_id, time, cluster, namespace, allowed, source, object_kind, actor, images, body)
  SELECT decision_id, project_id, time, cluster, namespace, allowed, source, object_kind, actor, images, body
  FROM json_to_recordset(?::json) AS d(decision_id uuid, project_id text, time timestamptz, cluster text, namespace text,
    allowed boolean, source text, object_kind text, actor text, images text[], body jsonb)`;

/** Decisions in Postgres, paged by time-ordered id. */
export class PostgresDecisionStore implements DecisionStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async insert(records: readonly DecisionRecord[]): Promise<void> {
    if (records.length === 0) return;
    // The rows as one JSON parameter: one text to send instead of a bind parameter per value. Each body is spliced in
    // as the JSON text it was made as, not stringified again.
    const rows = records.map((r) => {
      const columns = JSON.stringify({
        decision_id: r.decisionId,
        project_id: r.projectId,
        time: r.time,
        cluster: r.cluster,
        namespace: r.namespace,
        allowed: r.allowed,
        source: r.source,
        object_kind: r.objectKind,
        actor: r.actor,
        images: r.images,
      });
      return `${columns.slice(0, -1)},"body":${r.body}}`;
    });
    await this.db.raw(INSERT_SQL, [`[${rows.join(',')}]`]);
  }

  async list(projectId: string, query: ListQuery): Promise<Page<JsonObject>> {
    const base = this.db('decisions').where('project_id', projectId).select('decision_id', 'body');
    const req = {
      keyColumn: 'decision_id',
      scope: `decisions|${projectId}`,
      pageSize: query.pageSize,
      pageToken: query.pageToken,
      filter: { query, fields: DECISION_FILTER_FIELDS },
    };
    return keysetPage(this.tokens, base, req, (r: { body: JsonObject }) => r.body);
  }
}
