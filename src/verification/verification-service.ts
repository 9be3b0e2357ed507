import type { Access } from '../auth/access';
import { invalidArgument } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { canonicalString, parseImageReference, type ImageReference } from '../domain/image-reference';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { JsonObject } from '../domain/message-types';
import { checkCluster, checkNamespace } from '../policies/policy-names';
import type { PolicyRecord } from '../domain/resources/policy-spec';
import { policyName } from '../policies/policy-kind';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { parseResourceName } from '../resources/resource-names';
import { WITNESS_NAMING, witnessName, witnessNoteName } from '../witnesses/witness-names';
import type { WitnessService } from '../witnesses/witness-service';
import type { ChangeFeed } from '../domain/change-feed';
import type { DecisionRecorder } from './decision-recorder';
import { evaluatePolicy, type PolicyOutcome, type WitnessEvidence } from './policy-evaluation';
import { resourceUriSpellings } from './resource-uri-spellings';
import { VerdictCache } from './verdict-cache';
import type { ImageResult, VerifyInput, VerifyOutput } from './verdict';

/** Most images one request may ask about. */
export const MAX_IMAGES = 200;

export interface VerificationOptions {
  /** Cache verdicts and policies per project generation (off for the cold benchmark). */
  readonly cache: boolean;
  /** Whether the change feed can be trusted right now (change notifications are flowing). */
  readonly feedTrusted: () => boolean;
}

/**
 * Decides whether images may run in a cluster's namespace under the project's enabled policies.
 * Signatures are verified over the exact stored bytes whenever a verdict is computed; verdicts are cached
 * per project generation and stored change stamp, which move with every committed change (on any replica), so a
 * change applies to the next call.
 */
export class VerificationService {
  private readonly verdicts = new VerdictCache<ImageResult>(60_000, 5_000, 100_000);
  private readonly policyCache = new VerdictCache<PolicyRecord[]>(60_000, 60_000, 10_000);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly decisions: DecisionRecorder,
    private readonly witnesses: WitnessService,
    private readonly options: VerificationOptions,
  ) {}

  async verify(ctx: RequestContext, parent: string, input: VerifyInput): Promise<VerifyOutput> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'images.verify', projectId);
    checkCluster(input.cluster, 'cluster');
    checkNamespace(input.namespace, 'namespace');
    if (input.images.length === 0) throw invalidArgument('images must list at least one image reference');
    if (input.images.length > MAX_IMAGES)
      throw invalidArgument(`images lists ${input.images.length} images; at most ${MAX_IMAGES} per call`);
    // The feed moves at once for this process's commits and soon for other replicas'; the stored change stamp
    // closes that gap, so a change any replica answered applies to the very next review here (ADR 0045).
    const stamp = this.options.cache && this.options.feedTrusted() ? await this.uow.stores.audit.changeStamp(projectId) : undefined;
    const useCache = stamp !== undefined;
    const generation = this.feed.generation(projectId);
    const scope = `${projectId}|${input.cluster}|${input.namespace}|${generation}|${stamp}`;

    const policies = useCache
      ? await this.policyCache.get(
          scope,
          () => this.uow.stores.policies.enabledFor(projectId, input.cluster, input.namespace),
          () => true,
        )
      : await this.uow.stores.policies.enabledFor(projectId, input.cluster, input.namespace);
    const results: ImageResult[] = [];
    if (policies.length === 0) {
      for (const image of input.images) results.push(noPolicy(image, input));
    } else {
      const refs = input.images.map(parseOrError);
      const keyOf = (ref: ImageReference): string => `${scope}|${input.breakglass}|${canonicalString(ref)}`;
      const compute = async (wanted: ImageReference[]): Promise<Map<ImageReference, ImageResult>> =>
        this.decide(this.uow.stores, policies, wanted, input.breakglass);
      // Hits are taken once, here: a second peek after the computation below could find them expired.
      const cached = new Map<ImageReference, ImageResult>();
      const missing = refs.filter((r): r is ImageReference => {
        if (r instanceof Error) return false;
        const hit = useCache ? this.verdicts.peek(keyOf(r)) : undefined;
        if (hit) cached.set(r, hit);
        return hit === undefined;
      });
      const fresh = missing.length ? await compute(missing) : new Map<ImageReference, ImageResult>();
      for (const [i, ref] of refs.entries()) {
        const image = input.images[i]!;
        if (ref instanceof Error) {
          results.push({
            image,
            allowed: false,
            reason: 'INVALID_REFERENCE',
            message: ref.message,
            policies: policies.map(policyName),
            witnesses: [],
            occurrences: [],
          });
          continue;
        }
        let verdict = fresh.get(ref);
        if (verdict && useCache) this.verdicts.set(keyOf(ref), verdict, verdict.allowed);
        verdict ??= cached.get(ref)!;
        results.push({ ...verdict, image });
      }
    }
    const decision = this.decisions.record(ctx, projectId, input, results, this.clock.now());
    return { results, allowed: results.every((r) => r.allowed), decision };
  }

  /** Computes verdicts for images by digest or tag: a handful of queries whatever the number of images. */
  private async decide(
    stores: Stores,
    policies: readonly PolicyRecord[],
    refs: readonly ImageReference[],
    breakglass: boolean,
  ): Promise<Map<ImageReference, ImageResult>> {
    const witnessNames = [...new Set(policies.flatMap((p) => p.spec.witnesses))];
    const records = await stores.witnesses.getMany(witnessNames.map((w) => parseResourceName(WITNESS_NAMING, w)));
    const evidence = new Map<string, WitnessEvidence>();
    for (const record of records) {
      const w = { projectId: record.projectId, witnessId: record.id };
      const name = witnessName(w);
      evidence.set(name, { name, noteName: witnessNoteName(w), keys: await this.witnesses.verifyingKeys(stores, record) });
    }
    const byDigest = refs.filter((r) => r.digest !== undefined);
    const occurrences = byDigest.length
      ? await stores.grafeas.findOccurrences(
          [...evidence.values()].map((e) => ({ projectId: e.noteName.split('/')[1]!, noteId: e.noteName.split('/')[3]! })),
          [...new Set(byDigest.flatMap(resourceUriSpellings))],
        )
      : [];
    const byNote = new Map<string, JsonObject[]>();
    for (const o of occurrences) {
      const list = byNote.get(String(o.noteName)) ?? [];
      list.push(o);
      byNote.set(String(o.noteName), list);
    }
    const out = new Map<ImageReference, ImageResult>();
    for (const ref of refs) {
      const outcomes: PolicyOutcome[] = [];
      for (const p of policies) outcomes.push(await evaluatePolicy(p, ref, evidence, byNote));
      out.set(ref, combine(ref, outcomes, breakglass));
    }
    return out;
  }
}

/** Combines per-policy outcomes: any failing ENFORCE policy denies (unless break-glass is permitted), DRY_RUN only warns. */
function combine(ref: ImageReference, outcomes: readonly PolicyOutcome[], breakglass: boolean): ImageResult {
  const policies = outcomes.map((o) => policyName(o.policy));
  const witnesses = [...new Set(outcomes.flatMap((o) => o.witnesses))];
  const occurrences = [...new Set(outcomes.flatMap((o) => o.occurrences))];
  const base = { image: ref.written, policies, witnesses, occurrences };
  const enforced = outcomes.filter((o) => !o.pass && o.policy.spec.enforcement !== 'DRY_RUN');
  const dryRun = outcomes.filter((o) => !o.pass && o.policy.spec.enforcement === 'DRY_RUN');
  if (enforced.length > 0) {
    const first = enforced[0]!;
    if (breakglass && enforced.every((o) => o.policy.spec.breakglassAllowed)) {
      return {
        ...base,
        allowed: true,
        reason: 'BREAKGLASS',
        message: `admitted by break-glass; otherwise denied by ${policyName(first.policy)}: ${first.message}`,
      };
    }
    const refused = breakglass ? ` (break-glass is not permitted by ${policyName(first.policy)})` : '';
    return { ...base, allowed: false, reason: first.reason, message: `${first.message}${refused}` };
  }
  if (dryRun.length > 0) {
    const first = dryRun[0]!;
    return {
      ...base,
      allowed: true,
      reason: 'DRY_RUN',
      message: `would be denied by dry-run policy ${policyName(first.policy)} (${first.reason}): ${first.message}`,
    };
  }
  const reason = outcomes.every((o) => o.reason === 'ALLOWLISTED') ? 'ALLOWLISTED' : 'ATTESTED';
  return { ...base, allowed: true, reason, message: outcomes.find((o) => o.reason === reason)!.message };
}

function noPolicy(image: string, input: VerifyInput): ImageResult {
  return {
    image,
    allowed: true,
    reason: 'NO_POLICY',
    message: `no enabled policy covers namespace ${input.namespace} of cluster ${input.cluster}`,
    policies: [],
    witnesses: [],
    occurrences: [],
  };
}

function parseOrError(image: string): ImageReference | Error {
  try {
    return parseImageReference(image);
  } catch (err) {
    return err as Error;
  }
}
