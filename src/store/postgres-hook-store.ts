import type { Knex } from 'knex';
import { newId } from '../domain/new-id';
import type { JsonObject, ListQuery, Page } from '../domain/message-types';
import { hookEventView } from '../domain/hook-event-view';
import type {
  DeliveryRules,
  HookEventRow,
  HookReceipt,
  HookStore,
  ImportJob,
  ImportStatus,
  SigningJob,
  SigningState,
} from '../domain/stores/hook-store';
import { IMPORT_RULES } from './postgres-import-rule-store';
import { resourceRecord, type ResourceRow } from './postgres-resource-store';
import { SIGNING_RULES } from './postgres-signing-rule-store';
import { compileFilter, type FilterFields } from './filter-sql';
import type { PageTokens } from './page-token';

/** hookEvents fields a filter may name (columns of the events-with-signings view). */
export const HOOK_EVENT_FILTER_FIELDS: FilterFields = Object.freeze({
  status: { column: 'status', type: 'enum', enumValues: ['PENDING', 'SIGNED', 'FAILED', 'IGNORED', 'IMPORTED', 'REJECTED'] },
  source: { column: 'source', type: 'string' },
  eventId: { column: 'event_id', type: 'string' },
  action: { column: 'action', type: 'string' },
  image: { column: 'image', type: 'string' },
  tag: { column: 'tag', type: 'string' },
  witness: { column: 'witness', type: 'string' },
  signingRule: { column: 'signing_rule', type: 'string' },
  importRule: { column: 'import_rule', type: 'string' },
  receiveTime: { column: 'receive_time', type: 'timestamp' },
});

/** The columns of a `hook_signings` row that make a job, as pg returns them. */
type SigningRow = {
  signing_id: string;
  project_id: string;
  witness_id: string;
  registry: string;
  repository: string;
  digest: string;
  attempts: number;
  actor: string;
  create_time: Date;
  tag: string;
  plain_http: boolean;
};

/** A `hook_events` row joined with its signing's state, as the list query selects it. */
type EventViewRow = {
  project_id: string;
  hook_event_id: string;
  source: string;
  event_id: string;
  action: string;
  media_type: string;
  image: string;
  tag: string;
  rule_id: string;
  witness_id: string;
  signing_id: string | null;
  reason: string;
  receive_time: Date;
  // The signing's columns (a left join): null exactly when signing_id is, and read only when it is set.
  s_kind: SigningState['kind'];
  s_status: SigningState['status'];
  s_attempts: number;
  s_reason: string;
  s_occurrence: string;
  s_update_time: Date;
};

/** The unique key of a `hook_signings` row. */
function signingKey(kind: 'SIGN' | 'IMPORT', job: Omit<SigningJob, 'signingId' | 'attempts'>): Record<string, string> {
  return {
    kind,
    project_id: job.projectId,
    witness_id: job.witnessId,
    registry: job.registry,
    repository: job.repository,
    digest: job.digest,
  };
}

/** A new PENDING `hook_signings` row for the job, due at its creation (without its id). */
function signingRow(kind: 'SIGN' | 'IMPORT', job: Omit<SigningJob, 'signingId' | 'attempts'>): Record<string, string | number> {
  return {
    ...signingKey(kind, job),
    status: 'PENDING',
    attempts: 0,
    next_attempt_time: job.createTime,
    actor: job.actor,
    create_time: job.createTime,
    update_time: job.createTime,
  };
}

/**
 * The project (key-share locked) and its enabled rules as JSON rows, one round trip instead of three: what a hook
 * delivery group reads first (docs/performance.md, "Round 6: push to attested").
 */
const DELIVERY_RULES_SQL = `
  SELECT coalesce((SELECT json_agg(s ORDER BY s.rule_id) FROM signing_rules s WHERE s.project_id = p.project_id AND s.enabled), '[]') AS signing,
         coalesce((SELECT json_agg(i ORDER BY i.rule_id) FROM import_rules i WHERE i.project_id = p.project_id AND i.enabled), '[]') AS imports
  FROM projects p WHERE p.project_id = ? FOR KEY SHARE OF p`;

/** Orders two keys by code point (the same order in every process). */
const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Hook receipts, events and the signing outbox in Postgres. */
export class PostgresHookStore implements HookStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async deliveryRules(projectId: string): Promise<DeliveryRules | undefined> {
    const rows: { signing: ResourceRow[]; imports: ResourceRow[] }[] = (await this.db.raw(DELIVERY_RULES_SQL, [projectId])).rows;
    const row = rows[0];
    if (!row) return undefined;
    return {
      signing: row.signing.map((r) => resourceRecord(SIGNING_RULES, r)),
      imports: row.imports.map((r) => resourceRecord(IMPORT_RULES, r)),
    };
  }

  async receipt(projectId: string, source: string, eventId: string, time: string): Promise<boolean> {
    const rows = await this.db('hook_receipts')
      .insert({ project_id: projectId, source, event_id: eventId, receive_time: time })
      .onConflict(['project_id', 'source', 'event_id'])
      .ignore()
      .returning('event_id');
    return rows.length === 1;
  }

  async receiptMany(receipts: readonly HookReceipt[], time: string): Promise<boolean[]> {
    if (receipts.length === 0) return [];
    const keyOf = (r: { project_id: string; source: string; event_id: string }): string =>
      JSON.stringify([r.project_id, r.source, r.event_id]);
    const rows = receipts.map((r) => ({ project_id: r.projectId, source: r.source, event_id: r.eventId, receive_time: time }));
    // Inserted in key order, so that concurrent transactions inserting overlapping keys wait for each other, never in a cycle.
    const ordered = [...rows].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
    const fresh = new Set<string>();
    for (let i = 0; i < ordered.length; i += 1000) {
      const inserted: { project_id: string; source: string; event_id: string }[] = await this.db('hook_receipts')
        .insert(ordered.slice(i, i + 1000))
        .onConflict(['project_id', 'source', 'event_id'])
        .ignore()
        .returning(['project_id', 'source', 'event_id']);
      for (const r of inserted) fresh.add(keyOf(r));
    }
    // A key listed twice was inserted once: the first listing is the new one.
    return rows.map((r) => fresh.delete(keyOf(r)));
  }

  enqueue(job: Omit<SigningJob, 'signingId' | 'attempts'>): Promise<string> {
    return this.enqueueKind('SIGN', job, {});
  }

  async enqueueMany(jobs: readonly Omit<SigningJob, 'signingId' | 'attempts'>[]): Promise<string[]> {
    if (jobs.length === 0) return [];
    const rows = jobs.map((job) => ({ job, row: { ...signingRow('SIGN', job), signing_id: newId() } }));
    // In key order, as receiptMany.
    const keyOf = (job: Omit<SigningJob, 'signingId' | 'attempts'>): string =>
      JSON.stringify([job.projectId, job.witnessId, job.registry, job.repository, job.digest]);
    const ordered = [...rows].sort((a, b) => compareKeys(keyOf(a.job), keyOf(b.job)));
    const created = new Set<string>();
    for (let i = 0; i < ordered.length; i += 1000) {
      const inserted: { signing_id: string }[] = await this.db('hook_signings')
        .insert(ordered.slice(i, i + 1000).map((r) => r.row))
        .onConflict(['project_id', 'kind', 'witness_id', 'registry', 'repository', 'digest'])
        .ignore()
        .returning('signing_id');
      for (const r of inserted) created.add(r.signing_id);
    }
    // A job whose key existed (or was listed earlier) is found, and re-armed if FAILED, as enqueue does.
    const ids: string[] = [];
    for (const { job, row } of rows) ids.push(created.has(row.signing_id) ? row.signing_id : await this.enqueueKind('SIGN', job, {}));
    return ids;
  }

  enqueueImport(job: Omit<ImportJob, 'signingId' | 'attempts'>): Promise<string> {
    return this.enqueueKind('IMPORT', job, { tag: job.tag, plain_http: job.plainHttp });
  }

  /** The job of `kind` for the job's key, created PENDING or found (a FAILED one is re-armed). */
  private async enqueueKind(
    kind: 'SIGN' | 'IMPORT',
    job: Omit<SigningJob, 'signingId' | 'attempts'>,
    extra: Record<string, string | boolean>,
  ): Promise<string> {
    const key = signingKey(kind, job);
    const inserted: { signing_id: string }[] = await this.db('hook_signings')
      .insert({ ...signingRow(kind, job), ...extra, signing_id: newId() })
      .onConflict(['project_id', 'kind', 'witness_id', 'registry', 'repository', 'digest'])
      .ignore()
      .returning('signing_id');
    if (inserted.length === 1) return inserted[0]!.signing_id;
    const existing: { signing_id: string; status: string } = await this.db('hook_signings').where(key).first('signing_id', 'status');
    if (existing.status === 'FAILED') {
      // A new push of an image whose signing failed for good tries again.
      await this.db('hook_signings').where({ signing_id: existing.signing_id, status: 'FAILED' }).update({
        status: 'PENDING',
        attempts: 0,
        next_attempt_time: job.createTime,
        reason: '',
        waiting_key: '',
        actor: job.actor,
        update_time: job.createTime,
      });
    }
    return existing.signing_id;
  }

  async insertEvents(rows: readonly HookEventRow[]): Promise<void> {
    const values = rows.map((r) => ({
      project_id: r.projectId,
      hook_event_id: r.hookEventId,
      source: r.source,
      event_id: r.eventId,
      action: r.action,
      media_type: r.mediaType,
      image: r.image,
      tag: r.tag,
      rule_id: r.ruleId,
      witness_id: r.witnessId,
      signing_id: r.signingId ?? null,
      reason: r.reason,
      receive_time: r.receiveTime,
    }));
    for (let i = 0; i < values.length; i += 1000) await this.db('hook_events').insert(values.slice(i, i + 1000));
  }

  async claimDue(now: string): Promise<SigningJob | undefined> {
    return (await this.claimDueMany(now, 1))[0];
  }

  async claimDueMany(now: string, limit: number, signingIds?: readonly string[]): Promise<SigningJob[]> {
    const q = this.db('hook_signings').where({ status: 'PENDING', kind: 'SIGN' }).where('next_attempt_time', '<=', now);
    if (signingIds) q.whereIn('signing_id', [...signingIds]);
    const rows: SigningRow[] = await q.orderBy('next_attempt_time').limit(limit).forUpdate().skipLocked().select('*');
    return rows.map(toJob);
  }

  async markSigned(signed: readonly { signingId: string; occurrence: string }[], now: string): Promise<void> {
    if (signed.length === 0) return;
    await this.db.raw(
      `UPDATE hook_signings h SET status = 'SIGNED', occurrence = s.occurrence, reason = '', update_time = ?
       FROM unnest(?::uuid[], ?::text[]) AS s(signing_id, occurrence) WHERE h.signing_id = s.signing_id`,
      [now, signed.map((s) => s.signingId), signed.map((s) => s.occurrence)] as unknown as Knex.RawBinding[],
    );
  }

  async leaseImports(now: string, leaseUntil: string, limit: number): Promise<ImportJob[]> {
    const rows: SigningRow[] = await this.db('hook_signings')
      .where({ status: 'PENDING', kind: 'IMPORT' })
      .where('next_attempt_time', '<=', now)
      .orderBy('next_attempt_time')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .select('*');
    if (rows.length === 0) return [];
    await this.db('hook_signings')
      .whereIn(
        'signing_id',
        rows.map((r) => r.signing_id),
      )
      .update({ next_attempt_time: leaseUntil });
    return rows.map(toImportJob);
  }

  async holdLease(signingId: string, leaseUntil: string): Promise<boolean> {
    const row = await this.db('hook_signings')
      .where({ signing_id: signingId, status: 'PENDING', kind: 'IMPORT', next_attempt_time: leaseUntil })
      .forUpdate()
      .first('signing_id');
    return row !== undefined;
  }

  async markImported(signingId: string, status: ImportStatus, occurrences: readonly string[], reason: string, now: string): Promise<void> {
    await this.db('hook_signings')
      .where({ signing_id: signingId, status: 'PENDING', kind: 'IMPORT' })
      .update({ status, occurrence: occurrences.join(' '), reason: reason.slice(0, 2000), update_time: now });
  }

  async markAttemptFailed(
    signingId: string,
    reason: string,
    final: boolean,
    nextAttemptTime: string,
    now: string,
    waitingKey = '',
  ): Promise<void> {
    await this.db('hook_signings')
      .where({ signing_id: signingId, status: 'PENDING' })
      .update({
        attempts: this.db.raw('attempts + 1'),
        status: final ? 'FAILED' : 'PENDING',
        reason: reason.slice(0, 2000),
        waiting_key: final ? waitingKey : '',
        next_attempt_time: nextAttemptTime,
        update_time: now,
      });
  }

  async event(projectId: string, hookEventId: string): Promise<{ row: HookEventRow; signing: SigningState | undefined } | undefined> {
    const rows: EventViewRow[] = await this.eventView(projectId).where('e.hook_event_id', hookEventId).limit(1);
    return rows[0] && toEvent(rows[0]);
  }

  async retry(signingId: string, now: string): Promise<boolean> {
    const n = await this.db('hook_signings').where({ signing_id: signingId, status: 'FAILED' }).update(rearmed(now));
    return n === 1;
  }

  async retryWaitingOn(projectId: string, keyName: string, now: string): Promise<number> {
    return this.db('hook_signings')
      .where({ project_id: projectId, waiting_key: keyName, status: 'FAILED' })
      .whereNot('waiting_key', '')
      .update(rearmed(now));
  }

  async backlog(): Promise<number> {
    const row = await this.db('hook_signings').where('status', 'PENDING').count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async prune(before: string): Promise<number> {
    const events = await this.db('hook_events').whereNull('signing_id').where('receive_time', '<', before).delete();
    const receipts = await this.db('hook_receipts').where('receive_time', '<', before).delete();
    return events + receipts;
  }

  async list(projectId: string, query: ListQuery): Promise<Page<JsonObject>> {
    const scope = `hookEvents|${projectId}|${query.filterText}`;
    const after = this.tokens.decode(scope, query.pageToken);
    const view = this.eventView(projectId)
      .select(
        this.db.raw(`CASE WHEN e.signing_id IS NULL THEN 'IGNORED' ELSE s.status END AS status`),
        this.db.raw(`CASE WHEN e.witness_id = '' THEN '' ELSE 'projects/' || e.project_id || '/witnesses/' || e.witness_id END AS witness`),
        this.db.raw(
          `CASE WHEN e.rule_id = '' OR s.kind = 'IMPORT' THEN '' ELSE 'projects/' || e.project_id || '/signingRules/' || e.rule_id END AS signing_rule`,
        ),
        this.db.raw(
          `CASE WHEN e.rule_id = '' OR s.kind IS DISTINCT FROM 'IMPORT' THEN '' ELSE 'projects/' || e.project_id || '/importRules/' || e.rule_id END AS import_rule`,
        ),
      )
      .as('v');
    const q = this.db.from(view);
    if (query.filter) {
      const { sql, bindings } = compileFilter(query.filter, HOOK_EVENT_FILTER_FIELDS);
      q.whereRaw(`(${sql})`, bindings as Knex.RawBinding[]);
    }
    if (after !== undefined) q.where('hook_event_id', '>', after);
    const rows: EventViewRow[] = await q
      .select('*')
      .orderBy('hook_event_id')
      .limit(query.pageSize + 1);
    const more = rows.length > query.pageSize;
    const items = (more ? rows.slice(0, query.pageSize) : rows).map((r) => {
      const { row, signing } = toEvent(r);
      return hookEventView(row, signing);
    });
    return { items, nextPageToken: more ? this.tokens.encode(scope, rows[query.pageSize - 1]!.hook_event_id) : '' };
  }

  /** hook_events of a project joined with their signings' state (s_* columns). */
  private eventView(projectId: string): Knex.QueryBuilder {
    return this.db
      .from('hook_events as e')
      .leftJoin('hook_signings as s', 's.signing_id', 'e.signing_id')
      .where('e.project_id', projectId)
      .select(
        'e.*',
        's.kind as s_kind',
        's.status as s_status',
        's.attempts as s_attempts',
        's.reason as s_reason',
        's.occurrence as s_occurrence',
        's.update_time as s_update_time',
      );
  }
}

/** The columns that re-arm a FAILED signing: due now, attempts and reason cleared. */
const rearmed = (now: string) => ({
  status: 'PENDING',
  attempts: 0,
  reason: '',
  waiting_key: '',
  next_attempt_time: now,
  update_time: now,
});

function toEvent(r: EventViewRow): { row: HookEventRow; signing: SigningState | undefined } {
  const row: HookEventRow = {
    projectId: r.project_id,
    hookEventId: r.hook_event_id,
    source: r.source,
    eventId: r.event_id,
    action: r.action,
    mediaType: r.media_type,
    image: r.image,
    tag: r.tag,
    ruleId: r.rule_id,
    witnessId: r.witness_id,
    signingId: r.signing_id ?? undefined,
    reason: r.reason,
    receiveTime: new Date(r.receive_time).toISOString(),
  };
  const signing: SigningState | undefined = r.signing_id
    ? {
        kind: r.s_kind,
        status: r.s_status,
        attempts: Number(r.s_attempts),
        reason: r.s_reason,
        occurrence: r.s_occurrence,
        updateTime: new Date(r.s_update_time).toISOString(),
      }
    : undefined;
  return { row, signing };
}

function toJob(row: SigningRow): SigningJob {
  return {
    signingId: row.signing_id,
    projectId: row.project_id,
    witnessId: row.witness_id,
    registry: row.registry,
    repository: row.repository,
    digest: row.digest,
    attempts: Number(row.attempts),
    actor: row.actor,
    createTime: new Date(row.create_time).toISOString(),
  };
}

function toImportJob(row: SigningRow): ImportJob {
  return { ...toJob(row), tag: row.tag, plainHttp: row.plain_http };
}
