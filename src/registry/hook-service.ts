import { failedPrecondition, invalidArgument, notFound } from '../domain/api-error';
import { newId } from '../domain/new-id';
import type { Access } from '../auth/access';
import type { Clock } from '../domain/clock';
import { parseProjectName, quote } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import { recordAll, type ChangeRecorder, type RecordedChange } from '../domain/stores/change-recorder';
import type { JsonObject, ListQuery, Page } from '../domain/message-types';
import { requireProject } from '../domain/stores/require-project';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import type { HookEventRow } from '../domain/stores/hook-store';
import { checkPush, parseHookPayload, type HookSource, type RegistryEvent } from './hook-payloads';
import type { HookMetrics } from './hook-metrics';
import { repositoryMatches, splitRepository } from './repository-pattern';
import type { SigningRuleRecord } from '../domain/resources/signing-rule-spec';
import type { ImportRuleRecord } from '../domain/resources/import-rule-spec';
import type { ResourceRecord } from '../domain/resources/resource-record';
import { importCandidate } from './signature-artifacts';
import { parseWitnessName } from '../witnesses/witness-names';
import { hookEventView } from '../domain/hook-event-view';
import { GroupCommit, type GroupCommitOptions } from './group-commit';

/** What a hook call did with the payload's events. */
export interface HookResult {
  received: number;
  accepted: number;
  ignored: number;
  duplicates: number;
  events: JsonObject[];
}

/** One hook call's events, checked and parsed, waiting for its group's transaction. */
interface Delivery {
  readonly ctx: RequestContext;
  readonly source: HookSource;
  readonly projectId: string;
  readonly events: readonly RegistryEvent[];
}

/** A project's enabled rules, read once per transaction. */
interface RuleScope {
  readonly rules: readonly SigningRuleRecord[];
  readonly importRules: readonly ImportRuleRecord[];
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
 * in the next transaction (group commit, ADR 0076). A redelivered event id is a no-op.
 */
export class HookService {
  private readonly deliveries: GroupCommit<Delivery, HookResult>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    /** Called after a commit that queued signings (wakes the workers). */
    private readonly onQueued: () => void = () => undefined,
    private readonly metrics?: HookMetrics,
    options: GroupCommitOptions = {},
  ) {
    this.deliveries = new GroupCommit((batch) => this.write(batch), options);
  }

  async receive(ctx: RequestContext, source: HookSource, parent: string, payload: JsonObject, registryParam: string): Promise<HookResult> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'hooks.post', projectId);
    const events = parseHookPayload(source, payload, registryParam.trim());
    const result = await this.deliveries.submit({ ctx, source, projectId, events });
    this.metrics?.received(source, result);
    if (result.accepted > 0) this.onQueued();
    return result;
  }

  /** Writes deliveries in one transaction (the rules read once per project, one event insert, one audit round). */
  private async write(deliveries: readonly Delivery[]): Promise<HookResult[]> {
    const now = this.clock.now();
    return this.uow.transaction(async (stores) => {
      const scopes = new Map<string, RuleScope>();
      const rows: HookEventRow[] = [];
      const changes: RecordedChange[] = [];
      const results: HookResult[] = [];
      for (const d of deliveries) {
        let scope = scopes.get(d.projectId);
        if (!scope) {
          await requireProject(stores, d.projectId);
          scope = { rules: await stores.signingRules.enabled(d.projectId), importRules: await stores.importRules.enabled(d.projectId) };
          scopes.set(d.projectId, scope);
        }
        const accepted = await this.accept(stores, d, scope, now);
        rows.push(...accepted.rows);
        const queued = accepted.rows.find((r) => r.signingId);
        if (queued)
          changes.push({ ctx: d.ctx, method: METHODS[d.source], resource: `projects/${d.projectId}/hookEvents/${queued.hookEventId}` });
        results.push(accepted.result);
      }
      await stores.hooks.insertEvents(rows);
      await recordAll(this.changes, stores, changes);
      return results;
    });
  }

  /** Records one delivery's receipts and queues its signings and imports; answers its result and event rows. */
  private async accept(
    stores: Stores,
    delivery: Delivery,
    { rules, importRules }: RuleScope,
    now: string,
  ): Promise<{ result: HookResult; rows: HookEventRow[] }> {
    const { projectId, source, events } = delivery;
    const actor = delivery.ctx.principal?.subject ?? 'anonymous';
    const out: HookResult = { received: events.length, accepted: 0, ignored: 0, duplicates: 0, events: [] };
    const rows: HookEventRow[] = [];
    const importRows = new Set<string>();
    for (const e of events) {
      if (!(await stores.hooks.receipt(projectId, source, e.eventId, now))) {
        out.duplicates++;
        continue;
      }
      const event = source === 'acr' && e.registry === '' && !e.ignore ? withRuleRegistry(e, rules) : e;
      const base = {
        projectId,
        source,
        eventId: event.eventId,
        action: event.action,
        mediaType: event.mediaType,
        image: event.registry && event.repository && event.digest ? `${event.registry}/${event.repository}@${event.digest}` : '',
        tag: event.tag,
        receiveTime: now,
      };
      const matching = event.ignore ? [] : matchingRules(rules, event);
      const importing = event.ignore ? [] : matchingRules(importRules, event);
      const imports = importing.length > 0 && importCandidate(event.tag, event.mediaType);
      if (event.ignore || (matching.length === 0 && !imports)) {
        const reason =
          event.ignore ?? (importing.length > 0 ? notSignatureReason(event, importing[0]!) : noRuleReason(event, importRules.length > 0));
        rows.push({ ...base, hookEventId: newId(), ruleId: '', witnessId: '', signingId: undefined, reason });
        out.ignored++;
        continue;
      }
      const witnesses = new Set<string>();
      for (const rule of matching) {
        // Two rules naming one witness sign once; the event shows the first rule.
        const { witnessId } = parseWitnessName(rule.spec.witness);
        if (witnesses.has(witnessId)) continue;
        witnesses.add(witnessId);
        const signingId = await stores.hooks.enqueue({
          projectId,
          witnessId,
          registry: event.registry,
          repository: event.repository,
          digest: event.digest,
          actor,
          createTime: now,
        });
        rows.push({ ...base, hookEventId: newId(), ruleId: rule.id, witnessId, signingId, reason: '' });
        out.accepted++;
      }
      const importers = new Set<string>();
      for (const rule of imports ? importing : []) {
        // Two rules naming one witness import once; the event shows the first rule.
        for (const name of rule.spec.witnesses) {
          const { witnessId } = parseWitnessName(name);
          if (importers.has(witnessId)) continue;
          importers.add(witnessId);
          const job = { projectId, witnessId, registry: event.registry, repository: event.repository, digest: event.digest };
          const signingId = await stores.hooks.enqueueImport({
            ...job,
            tag: event.tag,
            plainHttp: rule.spec.plainHttp,
            actor,
            createTime: now,
          });
          const hookEventId = newId();
          rows.push({ ...base, hookEventId, ruleId: rule.id, witnessId, signingId, reason: '' });
          importRows.add(hookEventId);
          out.accepted++;
        }
      }
    }
    out.events = rows.map((r) =>
      hookEventView(
        r,
        r.signingId
          ? {
              kind: importRows.has(r.hookEventId) ? 'IMPORT' : 'SIGN',
              status: 'PENDING',
              attempts: 0,
              reason: '',
              occurrence: '',
              updateTime: now,
            }
          : undefined,
      ),
    );
    return { result: out, rows };
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
    if (view.status === 'PENDING') this.onQueued();
    return view;
  }

  list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<JsonObject>> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'hookEvents.list', projectId);
    return this.uow.stores.hooks.list(projectId, query);
  }
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

/** The repository scope rules match on (signing and import rules alike). */
type ScopedRule = ResourceRecord<{
  readonly registry: string;
  readonly namespace: string;
  readonly repositories: string;
  readonly enabled: boolean;
}>;

/** Every enabled rule covering the event: same registry host, namespace = first path segment, rest matches. */
export function matchingRules<R extends ScopedRule>(rules: readonly R[], e: Pick<RegistryEvent, 'registry' | 'repository'>): R[] {
  const { namespace, rest } = splitRepository(e.repository);
  return rules.filter(
    ({ spec: r }) => r.enabled && r.registry === e.registry && r.namespace === namespace && repositoryMatches(r.repositories, rest),
  );
}

function noRuleReason(e: RegistryEvent, importRules: boolean): string {
  if (e.registry === '')
    return `the payload names no registry host and no enabled signing rule names one for namespace "${splitRepository(e.repository).namespace}": pass ?registry=host:port`;
  return `no enabled signing ${importRules ? 'or import ' : ''}rule covers ${e.registry}/${e.repository}`;
}

/** Why a push an import rule covers (and no signing rule) is not imported. */
function notSignatureReason(e: RegistryEvent, rule: ImportRuleRecord): string {
  const what = e.tag ? `tag "${e.tag}"` : `media type "${e.mediaType || '(none)'}"`;
  return `not a cosign signature, attestation or referrer (${what}): import rule projects/${rule.projectId}/importRules/${rule.id} imports tags sha256-<hex>.sig and .att and OCI manifests pushed by digest`;
}

/** ACR names no host: take the only registry the enabled rules name for the event's namespace. */
function withRuleRegistry(e: RegistryEvent, rules: readonly SigningRuleRecord[]): RegistryEvent {
  const { namespace } = splitRepository(e.repository);
  const hosts = [...new Set(rules.filter((r) => r.spec.namespace === namespace).map((r) => r.spec.registry))];
  return hosts.length === 1 ? checkPush({ ...e, registry: hosts[0]! }) : e;
}
