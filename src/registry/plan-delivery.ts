import { newId } from '../domain/new-id';
import type { RequestContext } from '../domain/request-context';
import type { ResourceRecord } from '../domain/resources/resource-record';
import type { ImportRuleRecord } from '../domain/resources/import-rule-spec';
import type { SigningRuleRecord } from '../domain/resources/signing-rule-spec';
import type { HookEventRow, SigningJob } from '../domain/stores/hook-store';
import type { Stores } from '../domain/stores/unit-of-work';
import { parseWitnessName } from '../witnesses/witness-names';
import { checkPush, type HookSource, type RegistryEvent } from './hook-payloads';
import { repositoryMatches, splitRepository } from './repository-pattern';
import { importCandidate } from './signature-artifacts';

/** One hook call's events, checked and parsed, waiting for its group's transaction. */
export interface Delivery {
  readonly ctx: RequestContext;
  readonly source: HookSource;
  readonly projectId: string;
  readonly events: readonly RegistryEvent[];
}

/** A signing a delivery queues. */
export type SignJob = Omit<SigningJob, 'signingId' | 'attempts'>;

/** How many of a delivery's events were accepted, ignored or seen before. */
export interface DeliveryCounts {
  received: number;
  accepted: number;
  ignored: number;
  duplicates: number;
}

/** What a delivery's events become, before its signings are queued. */
export interface DeliveryPlan {
  readonly counts: DeliveryCounts;
  /** Event rows; one with `signJob` gets the id of that signing (an index into the group's signings). */
  readonly drafts: { readonly row: HookEventRow; readonly signJob?: number }[];
  /** The hookEventIds of rows that import. */
  readonly imports: ReadonlySet<string>;
}

/** A project's enabled rules, read once per transaction. */
export interface RuleScope {
  readonly rules: readonly SigningRuleRecord[];
  readonly importRules: readonly ImportRuleRecord[];
}

/**
 * Decides what one delivery's new events become: ignored rows, signings (added to `signJobs`, queued by the caller
 * in one statement) and imports (queued here).
 */
export async function planDelivery(
  stores: Stores,
  delivery: Delivery,
  isNew: readonly boolean[],
  { rules, importRules }: RuleScope,
  signJobs: SignJob[],
  now: string,
): Promise<DeliveryPlan> {
  const { projectId, source, events } = delivery;
  const actor = delivery.ctx.principal?.subject ?? 'anonymous';
  const counts = { received: events.length, accepted: 0, ignored: 0, duplicates: 0 };
  const drafts: DeliveryPlan['drafts'] = [];
  const imports = new Set<string>();
  for (const [i, e] of events.entries()) {
    if (!isNew[i]) {
      counts.duplicates++;
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
    const importable = importing.length > 0 && importCandidate(event.tag, event.mediaType);
    if (event.ignore || (matching.length === 0 && !importable)) {
      const reason =
        event.ignore ?? (importing.length > 0 ? notSignatureReason(event, importing[0]!) : noRuleReason(event, importRules.length > 0));
      drafts.push({ row: { ...base, hookEventId: newId(), ruleId: '', witnessId: '', signingId: undefined, reason } });
      counts.ignored++;
      continue;
    }
    const witnesses = new Set<string>();
    for (const rule of matching) {
      // Two rules naming one witness sign once; the event shows the first rule.
      const { witnessId } = parseWitnessName(rule.spec.witness);
      if (witnesses.has(witnessId)) continue;
      witnesses.add(witnessId);
      signJobs.push({
        projectId,
        witnessId,
        registry: event.registry,
        repository: event.repository,
        digest: event.digest,
        actor,
        createTime: now,
      });
      drafts.push({
        row: { ...base, hookEventId: newId(), ruleId: rule.id, witnessId, signingId: undefined, reason: '' },
        signJob: signJobs.length - 1,
      });
      counts.accepted++;
    }
    const importers = new Set<string>();
    for (const rule of importable ? importing : []) {
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
        drafts.push({ row: { ...base, hookEventId, ruleId: rule.id, witnessId, signingId, reason: '' } });
        imports.add(hookEventId);
        counts.accepted++;
      }
    }
  }
  return { counts, drafts, imports };
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
