import { hookEventView } from '../../domain/hook-event-view';
import type { JsonObject, ListQuery, Page } from '../../domain/message-types';
import { newId } from '../../domain/new-id';
import type {
  DeliveryRules,
  HookEventRow,
  HookReceipt,
  HookStore,
  ImportJob,
  ImportStatus,
  SigningJob,
  SigningState,
} from '../../domain/stores/hook-store';
import type { PageTokens } from '../page-token';
import { HOOK_EVENT_FILTER_FIELDS } from '../postgres-hook-store';
import { assertSameFields, compareCodePoints, type FieldValues } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { HOOK_EVENTS, HOOK_RECEIPTS, HOOK_SIGNINGS, IMPORT_RULES, PROJECTS, SIGNING_RULES, type SigningRow } from './memory-schema';
import { MemoryStorageError, requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, checkUuid, thaw, timestamp } from './stored-values';

/** An event row with the state of the signing it points at (the view hookEvents lists). */
interface EventView {
  readonly row: HookEventRow;
  readonly signing: SigningRow | undefined;
}

const HOOK_EVENT_VALUES: FieldValues<EventView> = {
  status: (v) => v.signing?.status ?? 'IGNORED',
  source: (v) => v.row.source,
  eventId: (v) => v.row.eventId,
  action: (v) => v.row.action,
  image: (v) => v.row.image,
  tag: (v) => v.row.tag,
  witness: (v) => (v.row.witnessId === '' ? '' : `projects/${v.row.projectId}/witnesses/${v.row.witnessId}`),
  signingRule: (v) =>
    v.row.ruleId === '' || v.signing?.kind === 'IMPORT' ? '' : `projects/${v.row.projectId}/signingRules/${v.row.ruleId}`,
  importRule: (v) => (v.row.ruleId === '' || v.signing?.kind !== 'IMPORT' ? '' : `projects/${v.row.projectId}/importRules/${v.row.ruleId}`),
  receiveTime: (v) => v.row.receiveTime,
};
assertSameFields(HOOK_EVENT_FILTER_FIELDS, HOOK_EVENT_VALUES);

/** Hook receipts, events and the signing outbox in memory. */
export class MemoryHookStore implements HookStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async deliveryRules(projectId: string): Promise<DeliveryRules | undefined> {
    if (this.tables.table(PROJECTS).get(rowKey(projectId)) === undefined) return undefined;
    const enabled = <R extends { projectId: string; id: string; spec: { enabled: boolean } }>(rows: readonly R[]): R[] =>
      rows
        .filter((r) => r.projectId === projectId && r.spec.enabled)
        .sort((a, b) => compareCodePoints(a.id, b.id))
        .map((r) => thaw(r));
    return { signing: enabled(this.tables.table(SIGNING_RULES).rows()), imports: enabled(this.tables.table(IMPORT_RULES).rows()) };
  }

  async receipt(projectId: string, source: string, eventId: string, time: string): Promise<boolean> {
    this.requireProject(projectId);
    const receipts = this.tables.table(HOOK_RECEIPTS);
    const row = Object.freeze({ projectId, source, eventId, receiveTime: timestamp(time) });
    checkText(row);
    if (receipts.get(receipts.keyOf(row))) return false;
    receipts.put(row);
    return true;
  }

  async receiptMany(receipts: readonly HookReceipt[], time: string): Promise<boolean[]> {
    // One statement in Postgres: every receipt is checked before any is recorded.
    for (const r of receipts) {
      this.requireProject(r.projectId);
      checkText(r);
    }
    const fresh: boolean[] = [];
    for (const r of receipts) fresh.push(await this.receipt(r.projectId, r.source, r.eventId, time));
    return fresh;
  }

  enqueue(job: Omit<SigningJob, 'signingId' | 'attempts'>): Promise<string> {
    return this.enqueueKind('SIGN', job, '', false);
  }

  async enqueueMany(jobs: readonly Omit<SigningJob, 'signingId' | 'attempts'>[]): Promise<string[]> {
    // One statement in Postgres for the new ones: every job is checked before any is queued.
    for (const job of jobs) {
      this.requireProject(job.projectId);
      checkText(job);
    }
    const ids: string[] = [];
    for (const job of jobs) ids.push(await this.enqueueKind('SIGN', job, '', false));
    return ids;
  }

  enqueueImport(job: Omit<ImportJob, 'signingId' | 'attempts'>): Promise<string> {
    const { tag, plainHttp, ...rest } = job;
    return this.enqueueKind('IMPORT', rest, tag, plainHttp);
  }

  /** The job of `kind` for the job's key, created PENDING or found (a FAILED one is re-armed). */
  private async enqueueKind(
    kind: 'SIGN' | 'IMPORT',
    job: Omit<SigningJob, 'signingId' | 'attempts'>,
    tag: string,
    plainHttp: boolean,
  ): Promise<string> {
    this.requireProject(job.projectId);
    checkText(job);
    const signings = this.tables.table(HOOK_SIGNINGS);
    const createTime = timestamp(job.createTime);
    const existing = signings
      .rows()
      .find(
        (s) =>
          s.projectId === job.projectId &&
          s.kind === kind &&
          s.witnessId === job.witnessId &&
          s.registry === job.registry &&
          s.repository === job.repository &&
          s.digest === job.digest,
      );
    if (!existing) {
      const signingId = newId();
      signings.put(
        Object.freeze({
          ...job,
          kind,
          tag,
          plainHttp,
          signingId,
          attempts: 0,
          createTime,
          status: 'PENDING',
          nextAttemptTime: createTime,
          reason: '',
          waitingKey: '',
          occurrence: '',
          updateTime: createTime,
        }),
      );
      return signingId;
    }
    if (existing.status === 'FAILED') {
      // A new push of an image whose signing failed for good tries again.
      signings.put(
        Object.freeze({
          ...existing,
          status: 'PENDING',
          attempts: 0,
          nextAttemptTime: createTime,
          reason: '',
          waitingKey: '',
          actor: job.actor,
          updateTime: createTime,
        }),
      );
    }
    return existing.signingId;
  }

  async insertEvents(rows: readonly HookEventRow[]): Promise<void> {
    const events = this.tables.table(HOOK_EVENTS);
    const seen = new Set<string>();
    const stored = rows.map((r) => {
      this.requireProject(r.projectId);
      if (r.signingId !== undefined)
        requireParent(this.tables.table(HOOK_SIGNINGS).get(rowKey(r.signingId)) !== undefined, `signing ${r.signingId}`);
      checkText(r);
      const row: HookEventRow = Object.freeze({ ...r, hookEventId: checkUuid(r.hookEventId), receiveTime: timestamp(r.receiveTime) });
      const key = events.keyOf(row);
      if (seen.has(key) || events.get(key)) throw new MemoryStorageError('unique', `duplicate hook event ${r.hookEventId}`);
      seen.add(key);
      return row;
    });
    for (const row of stored) events.put(row);
  }

  async claimDue(now: string): Promise<SigningJob | undefined> {
    return (await this.claimDueMany(now, 1))[0];
  }

  async claimDueMany(now: string, limit: number, signingIds?: readonly string[]): Promise<SigningJob[]> {
    // Transactions run one at a time on the memory backend: no other transaction holds a job (SKIP LOCKED skips none).
    const wanted = signingIds ? new Set(signingIds) : undefined;
    const due = Date.parse(now);
    return this.tables
      .table(HOOK_SIGNINGS)
      .rows()
      .filter(
        (s) => s.kind === 'SIGN' && s.status === 'PENDING' && Date.parse(s.nextAttemptTime) <= due && (!wanted || wanted.has(s.signingId)),
      )
      .sort((a, b) => Date.parse(a.nextAttemptTime) - Date.parse(b.nextAttemptTime) || compareCodePoints(a.signingId, b.signingId))
      .slice(0, limit)
      .map(toJob);
  }

  async markSigned(signed: readonly { signingId: string; occurrence: string }[], now: string): Promise<void> {
    const signings = this.tables.table(HOOK_SIGNINGS);
    const updateTime = timestamp(now);
    for (const s of signed) {
      const row = signings.get(rowKey(s.signingId));
      if (row) signings.put(Object.freeze({ ...row, status: 'SIGNED', occurrence: s.occurrence, reason: '', updateTime }));
    }
  }

  async leaseImports(now: string, leaseUntil: string, limit: number): Promise<ImportJob[]> {
    // Transactions run one at a time on the memory backend: no other transaction holds a job.
    const signings = this.tables.table(HOOK_SIGNINGS);
    const due = Date.parse(now);
    const leased = signings
      .rows()
      .filter((s) => s.kind === 'IMPORT' && s.status === 'PENDING' && Date.parse(s.nextAttemptTime) <= due)
      .sort((a, b) => Date.parse(a.nextAttemptTime) - Date.parse(b.nextAttemptTime) || compareCodePoints(a.signingId, b.signingId))
      .slice(0, limit);
    const until = timestamp(leaseUntil);
    for (const s of leased) signings.put(Object.freeze({ ...s, nextAttemptTime: until }));
    return leased.map((s) => ({ ...toJob(s), tag: s.tag, plainHttp: s.plainHttp }));
  }

  async holdLease(signingId: string, leaseUntil: string): Promise<boolean> {
    const row = this.tables.table(HOOK_SIGNINGS).get(rowKey(signingId));
    return row?.kind === 'IMPORT' && row.status === 'PENDING' && Date.parse(row.nextAttemptTime) === Date.parse(leaseUntil);
  }

  async markImported(signingId: string, status: ImportStatus, occurrences: readonly string[], reason: string, now: string): Promise<void> {
    const signings = this.tables.table(HOOK_SIGNINGS);
    const row = signings.get(rowKey(signingId));
    if (!row || row.kind !== 'IMPORT' || row.status !== 'PENDING') return;
    const updated = { ...row, status, occurrence: occurrences.join(' '), reason: reason.slice(0, 2000), updateTime: timestamp(now) };
    checkText(updated);
    signings.put(Object.freeze(updated));
  }

  async markAttemptFailed(
    signingId: string,
    reason: string,
    final: boolean,
    nextAttemptTime: string,
    now: string,
    waitingKey = '',
  ): Promise<void> {
    const signings = this.tables.table(HOOK_SIGNINGS);
    const row = signings.get(rowKey(signingId));
    if (!row || row.status !== 'PENDING') return;
    const updated = {
      ...row,
      attempts: row.attempts + 1,
      status: final ? ('FAILED' as const) : ('PENDING' as const),
      reason: reason.slice(0, 2000),
      waitingKey: final ? waitingKey : '',
      nextAttemptTime: timestamp(nextAttemptTime),
      updateTime: timestamp(now),
    };
    checkText(updated);
    signings.put(Object.freeze(updated));
  }

  async event(projectId: string, hookEventId: string): Promise<{ row: HookEventRow; signing: SigningState | undefined } | undefined> {
    const row = this.tables.table(HOOK_EVENTS).get(rowKey(projectId, hookEventId));
    if (!row) return undefined;
    const signing = row.signingId === undefined ? undefined : this.tables.table(HOOK_SIGNINGS).get(rowKey(row.signingId));
    return { row: thaw(row), signing: signing && signingState(signing) };
  }

  async retry(signingId: string, now: string): Promise<boolean> {
    const signings = this.tables.table(HOOK_SIGNINGS);
    const row = signings.get(rowKey(signingId));
    if (!row || row.status !== 'FAILED') return false;
    signings.put(rearmed(row, now));
    return true;
  }

  async retryWaitingOn(projectId: string, keyName: string, now: string): Promise<number> {
    const signings = this.tables.table(HOOK_SIGNINGS);
    const waiting = signings
      .rows()
      .filter((s) => s.projectId === projectId && s.status === 'FAILED' && s.waitingKey !== '' && s.waitingKey === keyName);
    for (const row of waiting) signings.put(rearmed(row, now));
    return waiting.length;
  }

  async backlog(): Promise<number> {
    return this.tables
      .table(HOOK_SIGNINGS)
      .rows()
      .filter((s) => s.status === 'PENDING').length;
  }

  async prune(before: string): Promise<number> {
    const cutoff = Date.parse(before);
    let deleted = 0;
    const events = this.tables.table(HOOK_EVENTS);
    for (const e of events.rows()) {
      if (e.signingId === undefined && Date.parse(e.receiveTime) < cutoff && events.delete(events.keyOf(e))) deleted++;
    }
    const receipts = this.tables.table(HOOK_RECEIPTS);
    for (const r of receipts.rows()) if (Date.parse(r.receiveTime) < cutoff && receipts.delete(receipts.keyOf(r))) deleted++;
    return deleted;
  }

  async list(projectId: string, query: ListQuery): Promise<Page<JsonObject>> {
    const signings = this.tables.table(HOOK_SIGNINGS);
    const views: EventView[] = this.tables
      .table(HOOK_EVENTS)
      .rows()
      .filter((e) => e.projectId === projectId)
      .map((row) => ({ row, signing: row.signingId === undefined ? undefined : signings.get(rowKey(row.signingId)) }));
    const req = {
      key: (v: EventView) => v.row.hookEventId,
      scope: `hookEvents|${projectId}`,
      pageSize: query.pageSize,
      pageToken: query.pageToken,
      filter: { query, fields: HOOK_EVENT_FILTER_FIELDS, values: HOOK_EVENT_VALUES },
    };
    return memoryPage(this.tokens, views, req, ({ row, signing }) => hookEventView(thaw(row), signing && signingState(signing)));
  }

  private requireProject(projectId: string): void {
    requireParent(this.tables.table(PROJECTS).get(rowKey(projectId)) !== undefined, `project ${projectId}`);
  }
}

function signingState(s: SigningRow): SigningState {
  return { kind: s.kind, status: s.status, attempts: s.attempts, reason: s.reason, occurrence: s.occurrence, updateTime: s.updateTime };
}

/** A FAILED signing re-armed: due now, attempts and reason cleared. */
function rearmed(row: SigningRow, now: string): SigningRow {
  const time = timestamp(now);
  return Object.freeze({ ...row, status: 'PENDING', attempts: 0, reason: '', waitingKey: '', nextAttemptTime: time, updateTime: time });
}

function toJob(s: SigningRow): SigningJob {
  return {
    signingId: s.signingId,
    projectId: s.projectId,
    witnessId: s.witnessId,
    registry: s.registry,
    repository: s.repository,
    digest: s.digest,
    attempts: s.attempts,
    actor: s.actor,
    createTime: s.createTime,
  };
}
