import type { JsonObject, ListQuery, Page } from '../../domain/message-types';
import type { DecisionRecord, DecisionStore } from '../../domain/stores/decision-store';
import type { PageTokens } from '../page-token';
import { DECISION_FILTER_FIELDS } from '../postgres-decision-store';
import { assertSameFields, type FieldValues } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { DECISIONS, PROJECTS, type DecisionRow } from './memory-schema';
import { MemoryStorageError, requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, checkUuid, jsonb, thaw, timestamp } from './stored-values';

const DECISION_VALUES: FieldValues<DecisionRow> = {
  cluster: (r) => r.cluster,
  namespace: (r) => r.namespace,
  allowed: (r) => r.allowed,
  source: (r) => r.source,
  kind: (r) => r.objectKind,
  actor: (r) => r.actor,
  time: (r) => r.time,
  image: (r) => [...r.images],
};
assertSameFields(DECISION_FILTER_FIELDS, DECISION_VALUES);

/** Decisions in memory, paged by time-ordered id. */
export class MemoryDecisionStore implements DecisionStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async insert(records: readonly DecisionRecord[]): Promise<void> {
    const decisions = this.tables.table(DECISIONS);
    const seen = new Set<string>();
    const rows = records.map((r) => {
      requireParent(this.tables.table(PROJECTS).get(rowKey(r.projectId)) !== undefined, `project ${r.projectId}`);
      checkText(r);
      const row: DecisionRow = Object.freeze({
        ...r,
        decisionId: checkUuid(r.decisionId),
        time: timestamp(r.time),
        images: Object.freeze([...r.images]),
        body: jsonb(JSON.parse(r.body) as JsonObject),
      });
      const key = decisions.keyOf(row);
      if (seen.has(key) || decisions.get(key)) throw new MemoryStorageError('unique', `duplicate decision id ${r.decisionId}`);
      seen.add(key);
      return row;
    });
    for (const row of rows) decisions.put(row);
  }

  async list(projectId: string, query: ListQuery): Promise<Page<JsonObject>> {
    const rows = this.tables
      .table(DECISIONS)
      .rows()
      .filter((d) => d.projectId === projectId);
    const req = {
      key: (d: DecisionRow) => d.decisionId,
      scope: `decisions|${projectId}`,
      pageSize: query.pageSize,
      pageToken: query.pageToken,
      filter: { query, fields: DECISION_FILTER_FIELDS, values: DECISION_VALUES },
    };
    return memoryPage(this.tokens, rows, req, (d) => thaw(d.body));
  }
}
