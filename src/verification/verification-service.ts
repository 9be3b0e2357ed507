import type { Access } from '../auth/access';
import { ApiError, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { canonicalString, parseImageReference, type ImageReference } from '../domain/image-reference';
import { parseNoteName, parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { JsonObject } from '../domain/message-types';
import { checkCluster, checkNamespace } from '../policies/policy-names';
import { policyWitnesses, type PolicyRecord } from '../domain/resources/policy-spec';
import { policyName } from '../policies/policy-kind';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { projectNotFound } from '../domain/stores/require-project';
import { knownClusters } from '../policies/cluster-kind';
import { coverageWarning } from '../domain/webhook-coverage';
import { parseResourceName } from '../resources/resource-names';
import { WITNESS_NAMING, witnessName, witnessNoteName } from '../witnesses/witness-names';
import type { WitnessService } from '../witnesses/witness-service';
import type { ChangeFeed } from '../domain/change-feed';
import type { DecisionRecorder } from './decision-recorder';
import { evaluatePolicy, type PolicyOutcome, type WitnessEvidence } from './policy-evaluation';
import { resourceUriSpellings } from './resource-uri-spellings';
import { vexSuppressions } from './vex-suppression';
import { vexProductUris } from '../domain/vulnerability/vex-product';
import { FreshReads } from './fresh-reads';
import { VerdictCache } from './verdict-cache';
import { MAX_IMAGE_FINDINGS, type ImageVulnerabilityData } from './vulnerability-evaluation';
import type { ImageResult, VerifyInput, VerifyOutput } from './verdict';

/** Most images one request may ask about. */
export const MAX_IMAGES = 200;

export interface VerificationOptions {
  /**
   * Cache verdicts per project generation and change stamp (off for the cold benchmark). Policies, witnesses and
   * their keys are cached on the same key either way: without verdicts, a review reads the stamp and the images'
   * occurrences and verifies their signatures.
   */
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
  private readonly scopeCache = new VerdictCache<string>(60_000, 0, 10_000);
  private readonly evidenceCache = new VerdictCache<Map<string, WitnessEvidence>>(60_000, 60_000, 10_000);
  /** Change stamps read after each review arrived, one read in flight per project (concurrent reviews share it). */
  private readonly stamps = new FreshReads((projectId) => this.uow.stores.audit.changeStamp(projectId));

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
    if (input.images.length === 0) {
      // The adapters' readiness probe sends no images: it learns whether project and cluster exist without a decision.
      await this.requireScope(projectId, input.cluster);
      throw invalidArgument('images must list at least one image reference');
    }
    if (input.images.length > MAX_IMAGES)
      throw invalidArgument(`images lists ${input.images.length} images; at most ${MAX_IMAGES} per call`);
    let results: ImageResult[];
    try {
      results = await this.verdictsFor(projectId, input);
    } catch (err) {
      // A review is answered even while the database is away, so it is recorded too: denied, saying why.
      if (input.source !== 'admission' || !this.isUnavailable(err)) throw err;
      const cause = this.asApiError(err)?.message ?? 'the database is unavailable; retry shortly';
      results = input.images.map((image) => databaseUnavailable(image, cause));
    }
    const decision = this.decisions.record(ctx, projectId, input, results, this.clock.now());
    if (decision === undefined) {
      throw new ApiError(
        'UNAVAILABLE',
        'the decision could not be recorded (the decision buffer is full: the database is not keeping up); retry shortly',
      );
    }
    const output = { results, allowed: results.every((r) => r.allowed), decision };
    return input.source === 'admission' ? output : { ...output, ...(await this.coverage(projectId, input.cluster, input.namespace)) };
  }

  /** Whether the cluster's declared webhook covers the namespace, with the warning when not (ADR 0065). */
  private async coverage(
    projectId: string,
    clusterId: string,
    namespace: string,
  ): Promise<Pick<VerifyOutput, 'webhookCoverage' | 'warnings'>> {
    const cluster = await this.uow.stores.clusters.get({ projectId, id: clusterId });
    if (!cluster) return {};
    const warning = coverageWarning(clusterId, cluster.spec, [namespace]);
    return warning === undefined ? { webhookCoverage: 'COVERED' } : { webhookCoverage: 'NOT_COVERED', warnings: [warning] };
  }

  /** The verdict on every image of the input, in order. */
  private async verdictsFor(projectId: string, input: VerifyInput): Promise<ImageResult[]> {
    // The feed moves at once for this process's commits and soon for other replicas'; the stored change stamp
    // closes that gap, so a change any replica answered applies to the very next review here (ADR 0045). Without
    // a stamp (changes not yet chained, or the feed not trusted) nothing cached is used.
    const stamp = this.options.feedTrusted() ? await this.stamps.get(projectId) : undefined;
    // Policies, witnesses and keys: cached on the stamp whether or not verdicts are.
    const useCache = stamp !== undefined;
    const cacheVerdicts = useCache && this.options.cache;
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
      // A project with policies for the cluster exists and has it registered; otherwise either may be a typo
      // (answering NO_POLICY would admit everything), and a decision for a missing project could not be recorded.
      await this.requireScope(projectId, input.cluster, useCache ? `${projectId}|${input.cluster}|${generation}` : undefined);
      for (const image of input.images) results.push(noPolicy(image, input));
    } else {
      const refs = input.images.map(parseOrError);
      // Verdict messages name the image as written, so each spelling keeps its own verdict.
      const keyOf = (ref: ImageReference): string => `${scope}|${input.breakglass}|${canonicalString(ref)}|${ref.written}`;
      const compute = async (wanted: ImageReference[]): Promise<Map<ImageReference, ImageResult>> => {
        const evidence = useCache
          ? await this.evidenceCache.get(
              scope,
              () => this.evidence(this.uow.stores, policies),
              () => true,
            )
          : await this.evidence(this.uow.stores, policies);
        return this.decide(this.uow.stores, projectId, policies, evidence, wanted, input.breakglass);
      };
      // Hits are taken once, here: a second peek after the computation below could find them expired.
      const cached = new Map<ImageReference, ImageResult>();
      const missing = refs.filter((r): r is ImageReference => {
        if (r instanceof Error) return false;
        const hit = cacheVerdicts ? this.verdicts.peek(keyOf(r)) : undefined;
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
        if (verdict && cacheVerdicts) this.verdicts.set(keyOf(ref), verdict, verdict.allowed);
        verdict ??= cached.get(ref)!;
        results.push({ ...verdict, image });
      }
    }
    return results;
  }

  /** An error as the API would answer it (a database error classified), or undefined for a bug. */
  asApiError(err: unknown): ApiError | undefined {
    return err instanceof ApiError ? err : this.uow.classifyError(err);
  }

  private isUnavailable(err: unknown): boolean {
    return this.asApiError(err)?.code === 'UNAVAILABLE';
  }

  /** NOT_FOUND unless the project exists and the cluster is registered in it (the message lists the registered ones). */
  private async requireScope(projectId: string, cluster: string, cacheKey?: string): Promise<void> {
    const check = async (): Promise<string> => {
      const stores = this.uow.stores;
      if (!(await stores.projects.get(projectId))) return projectNotFound(projectId).message;
      if (await stores.clusters.get({ projectId, id: cluster })) return '';
      return `cluster ${cluster} is not registered in project ${projectId}; ${await knownClusters(stores, projectId)}`;
    };
    const problem = cacheKey === undefined ? await check() : await this.scopeCache.get(cacheKey, check, (v) => v === '');
    if (problem) throw notFound(problem);
  }

  /** The witnesses the policies name (all of the policies' project), with their notes and verifying keys. */
  private async evidence(stores: Stores, policies: readonly PolicyRecord[]): Promise<Map<string, WitnessEvidence>> {
    const witnessNames = [...new Set(policies.flatMap((p) => policyWitnesses(p.spec)))];
    const records = await stores.witnesses.getMany(witnessNames.map((w) => parseResourceName(WITNESS_NAMING, w)));
    const evidence = new Map<string, WitnessEvidence>();
    for (const record of records) {
      const w = { projectId: record.projectId, witnessId: record.id };
      const name = witnessName(w);
      evidence.set(name, {
        name,
        notes: [witnessNoteName(w), ...record.spec.notes],
        keys: await this.witnesses.verifyingKeys(stores, record),
        acceptRawEnvelope: record.spec.acceptRawEnvelope,
      });
    }
    return evidence;
  }

  /** Computes verdicts for images by digest or tag: a handful of queries whatever the number of images. */
  private async decide(
    stores: Stores,
    projectId: string,
    policies: readonly PolicyRecord[],
    evidence: ReadonlyMap<string, WitnessEvidence>,
    refs: readonly ImageReference[],
    breakglass: boolean,
  ): Promise<Map<ImageReference, ImageResult>> {
    const byDigest = refs.filter((r) => r.digest !== undefined);
    const notes = [...new Set([...evidence.values()].flatMap((e) => e.notes))].map((n) => parseNoteName(n));
    const occurrences = byDigest.length
      ? await stores.grafeas.findOccurrences(notes, [...new Set(byDigest.flatMap(resourceUriSpellings))])
      : [];
    const byNote = new Map<string, JsonObject[]>();
    for (const o of occurrences) {
      const list = byNote.get(String(o.noteName)) ?? [];
      list.push(o);
      byNote.set(String(o.noteName), list);
    }
    const findings = policies.some((p) => p.spec.vulnerabilities !== undefined)
      ? await this.findings(stores, projectId, byDigest)
      : new Map<ImageReference, ImageVulnerabilityData>();
    const nowMs = Date.parse(this.clock.now());
    const out = new Map<ImageReference, ImageResult>();
    for (const ref of refs) {
      const outcomes: PolicyOutcome[] = [];
      const data = findings.get(ref);
      const vulns = data ? { data, nowMs } : undefined;
      for (const p of policies) outcomes.push(await evaluatePolicy(p, ref, evidence, byNote, vulns));
      out.set(ref, combine(ref, outcomes, breakglass));
    }
    return out;
  }

  /**
   * The VULNERABILITY and DISCOVERY occurrences of each image in the policies' project and the VEX statements about
   * it or its repository: two indexed queries per image, however many findings it has (at most MAX_IMAGE_FINDINGS
   * of each are read; more denies the image).
   */
  private async findings(
    stores: Stores,
    projectId: string,
    refs: readonly ImageReference[],
  ): Promise<Map<ImageReference, ImageVulnerabilityData>> {
    const read = await Promise.all(
      refs.map(async (ref) => {
        const found = await stores.grafeas.imageOccurrences(
          projectId,
          ['VULNERABILITY', 'DISCOVERY'],
          resourceUriSpellings(ref),
          MAX_IMAGE_FINDINGS + 1,
        );
        const products = vexProductUris(ref);
        const statements = await stores.grafeas.assessmentNotes(projectId, [products.image, products.repository], MAX_IMAGE_FINDINGS + 1);
        const truncated = found.length > MAX_IMAGE_FINDINGS || statements.length > MAX_IMAGE_FINDINGS;
        const data: ImageVulnerabilityData = {
          occurrences: truncated ? found.slice(0, MAX_IMAGE_FINDINGS) : found,
          truncated,
          suppressed: vexSuppressions(statements, products.image),
        };
        return [ref, data] as const;
      }),
    );
    return new Map(read);
  }
}

/** Combines per-policy outcomes: any failing ENFORCE policy denies (unless break-glass is permitted), DRY_RUN only warns. */
function combine(ref: ImageReference, outcomes: readonly PolicyOutcome[], breakglass: boolean): ImageResult {
  const policies = outcomes.map((o) => policyName(o.policy));
  const witnesses = [...new Set(outcomes.flatMap((o) => o.witnesses))];
  const occurrences = [...new Set(outcomes.flatMap((o) => o.occurrences))];
  const failed = outcomes.flatMap((o) => (o.vulnerabilities ? [o.vulnerabilities] : []));
  const waivers = outcomes.flatMap((o) => o.waivers ?? []);
  const seen = new Set<string>();
  const attestations = outcomes
    .flatMap((o) => o.evidence ?? [])
    .filter((e) => !seen.has(`${e.witness}|${e.occurrence}`) && seen.add(`${e.witness}|${e.occurrence}`));
  const base = {
    image: ref.written,
    policies,
    witnesses,
    occurrences,
    ...(failed.length ? { vulnerabilities: failed } : {}),
    ...(attestations.length ? { attestations } : {}),
    ...(waivers.length ? { waivers } : {}),
  };
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
  const reason = outcomes.every((o) => o.reason === 'ALLOWLISTED')
    ? 'ALLOWLISTED'
    : outcomes.some((o) => o.reason === 'ATTESTED')
      ? 'ATTESTED'
      : 'WITHIN_LIMITS';
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

/** The verdict while the database cannot be read: denied, and the sentence says why (`cause`: the UNAVAILABLE message). */
function databaseUnavailable(image: string, cause: string): ImageResult {
  return {
    image,
    allowed: false,
    reason: 'DATABASE_UNAVAILABLE',
    message: `image ${image} could not be verified because attestd could not read its database (${cause})`,
    policies: [],
    witnesses: [],
    occurrences: [],
  };
}
