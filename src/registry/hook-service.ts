import { failedPrecondition, invalidArgument, notFound } from '../domain/api-error';
import type { Access } from '../auth/access';
import type { Clock } from '../domain/clock';
import { parseProjectName, quote } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import { recordAll, type ChangeRecorder, type RecordedChange } from '../domain/stores/change-recorder';
import type { JsonObject, ListQuery, Page } from '../domain/message-types';
import { projectNotFound, requireProject } from '../domain/stores/require-project';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { HookMetrics } from './hook-metrics';
import type { HookEventRow } from '../domain/stores/hook-store';
import { parseHookPayload, type HookSource } from './hook-payloads';
import { planDelivery, type Delivery, type DeliveryCounts, type DeliveryPlan, type RuleScope, type SignJob } from './plan-delivery';
import { hookEventView } from '../domain/hook-event-view';
import { GroupCommit, type GroupCommitOptions } from '../domain/group-commit';

/** Which workers a commit gave work: signings for the hook worker, imports for the import worker. */
export interface QueuedKinds {
  readonly sign: boolean;
  readonly import: boolean;
}

/** What a hook call did with the payload's events. */
export interface HookResult extends DeliveryCounts {
  events: JsonObject[];
}

const METHODS: Readonly<Record<HookSource, string>> = {
  distribution: 'DistributionHook',
  harbor: 'HarborHook',
  acr: 'AcrHook',
  generic: 'GenericHook',
};

/**
 * Receives registry events: manifest pushes covered by enabled signing rules go to the signing outbox, pushes of
 * cosign signatures (`sha256-<hex>.sig` / `.att` tags, OCI manifests pushed by digest) covered by enabled import
 * rules go to the outbox as imports, one per witness; everything else is recorded as ignored with the reason — all
 * in one transaction, committed before the hook answers. Deliveries that arrive while one commits are written together
 * in the next transaction (group commit, ADR 0078). A redelivered event id is a no-op.
 */
export class HookService {
  private readonly deliveries: GroupCommit<Delivery, HookResult>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    /**
     * Called after a commit that queued signings or imports, saying which (wakes those workers only: a woken worker
     * with nothing to do still spends a transaction finding that out).
     */
    private readonly onQueued: (queued: QueuedKinds) => void = () => undefined,
    private readonly metrics?: HookMetrics,
    options: GroupCommitOptions = {},
  ) {
    this.deliveries = new GroupCommit((batch) => this.write(batch), { maxInFlight: 2, ...options });
  }

  async receive(ctx: RequestContext, source: HookSource, parent: string, payload: JsonObject, registryParam: string): Promise<HookResult> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'hooks.post', projectId);
    const events = parseHookPayload(source, payload, registryParam.trim());
    const result = await this.deliveries.submit({ ctx, source, projectId, events });
    this.metrics?.received(source, result);
    if (result.accepted > 0) this.onQueued(queuedKinds(result.events));
    return result;
  }

  /**
   * Writes deliveries in one transaction with a fixed number of statements: the rules read once per project, the
   * receipts in one insert, the new signings in one, the event rows in one, the audit events in one round.
   */
  private async write(deliveries: readonly Delivery[]): Promise<HookResult[]> {
    const now = this.clock.now();
    return this.uow.transaction(async (stores) => {
      const scopes = new Map<string, RuleScope>();
      for (const { projectId } of deliveries) {
        if (scopes.has(projectId)) continue;
        // The project's key-share lock and its enabled rules in one round trip.
        const found = await stores.hooks.deliveryRules(projectId);
        if (!found) throw projectNotFound(projectId);
        scopes.set(projectId, { rules: found.signing, importRules: found.imports });
      }
      const fresh = await stores.hooks.receiptMany(
        deliveries.flatMap((d) => d.events.map((e) => ({ projectId: d.projectId, source: d.source, eventId: e.eventId }))),
        now,
      );
      const signJobs: SignJob[] = [];
      const plans: DeliveryPlan[] = [];
      let next = 0;
      for (const d of deliveries) {
        const isNew = fresh.slice(next, (next += d.events.length));
        plans.push(await planDelivery(stores, d, isNew, scopes.get(d.projectId)!, signJobs, now));
      }
      const signingIds = await stores.hooks.enqueueMany(signJobs);
      const rows: HookEventRow[] = [];
      const changes: RecordedChange[] = [];
      const results = plans.map((plan, i) => {
        const d = deliveries[i]!;
        const own = plan.drafts.map((draft) =>
          draft.signJob === undefined ? draft.row : { ...draft.row, signingId: signingIds[draft.signJob]! },
        );
        rows.push(...own);
        const queued = own.find((r) => r.signingId);
        if (queued)
          changes.push({ ctx: d.ctx, method: METHODS[d.source], resource: `projects/${d.projectId}/hookEvents/${queued.hookEventId}` });
        const events = own.map((r) =>
          hookEventView(
            r,
            r.signingId
              ? {
                  kind: plan.imports.has(r.hookEventId) ? 'IMPORT' : 'SIGN',
                  status: 'PENDING',
                  attempts: 0,
                  reason: '',
                  occurrence: '',
                  updateTime: now,
                }
              : undefined,
          ),
        );
        return { ...plan.counts, events };
      });
      await stores.hooks.insertEvents(rows);
      await recordAll(this.changes, stores, changes);
      return results;
    });
  }

  /**
   * Retries a FAILED event's signing at once (after the key was enabled, the witness created, …): PENDING again
   * with its attempts cleared, audited as RetryHookEvent. Retrying an event that is PENDING or SIGNED changes
   * nothing and answers its state (a retry is idempotent); an IGNORED event has nothing to sign.
   */
  async retry(ctx: RequestContext, name: string): Promise<JsonObject> {
    const { projectId, hookEventId } = parseHookEventName(name);
    this.access.check(ctx, 'hookEvents.retry', projectId);
    const now = this.clock.now();
    const view = await this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      const found = await stores.hooks.event(projectId, hookEventId);
      if (!found) throw notFound(`hook event ${name} does not exist; list them with GET /v1/projects/${projectId}/hookEvents`);
      const { row, signing } = found;
      if (!row.signingId || !signing)
        throw failedPrecondition(
          `hook event ${name} was IGNORED (${row.reason}) and has nothing to sign; push the image again once a signing or import rule covers it`,
        );
      if (signing.status !== 'FAILED') return hookEventView(row, signing);
      await stores.hooks.retry(row.signingId, now);
      await this.changes.record(stores, ctx, 'RetryHookEvent', `projects/${projectId}/hookEvents/${hookEventId}`);
      return hookEventView(row, { kind: signing.kind, status: 'PENDING', attempts: 0, reason: '', occurrence: '', updateTime: now });
    });
    if (view.status === 'PENDING') this.onQueued(queuedKinds([view]));
    return view;
  }

  list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<JsonObject>> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'hookEvents.list', projectId);
    return this.uow.stores.hooks.list(projectId, query);
  }
}

/** The kinds of work PENDING hook event views queued. */
function queuedKinds(events: readonly JsonObject[]): QueuedKinds {
  const pending = events.filter((e) => e.status === 'PENDING');
  return { sign: pending.some((e) => e.signingRule !== ''), import: pending.some((e) => e.importRule !== '') };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses `projects/{project}/hookEvents/{id}` (ids are UUIDs attestd made). */
function parseHookEventName(name: string): { projectId: string; hookEventId: string } {
  const m = /^projects\/([^/]+)\/hookEvents\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`name must look like "projects/{project}/hookEvents/{id}", got ${quote(name)}`);
  const projectId = parseProjectName(`projects/${m[1]}`);
  const hookEventId = m[2]!.toLowerCase();
  if (!UUID.test(hookEventId)) throw invalidArgument(`name: a hook event id is a UUID as hookEvents lists it, got ${quote(m[2]!)}`);
  return { projectId, hookEventId };
}
