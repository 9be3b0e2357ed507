import type { Logger } from '../logger';
import type { ImageResult, VerifyOutput, VulnerabilityReason } from '../verification/verdict';
import { MAX_IMAGES } from '../verification/verification-service';
import {
  ADMISSION_API_VERSION,
  ADMISSION_KIND,
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewResponse,
} from './admission-review';
import type { AdmissionMetrics } from './admission-metrics';
import { VerifierError, type ImageVerifier } from './image-verifier';
import { workloadOf } from './workload-images';

/** Kubernetes shows warnings to users; longer ones are cut. */
export const MAX_WARNING_LENGTH = 119;
const MAX_WARNINGS = 20;
/** The least time a review is given, whatever the API server's own timeout says. */
const MIN_DEADLINE_MS = 100;

export interface AdmissionHandlerOptions {
  /** Internal deadline for a verdict, well below the webhook's timeoutSeconds. */
  readonly deadlineMs: number;
  /** Admit (with a warning) when no verdict can be had. Off: deny (fail-closed). */
  readonly failOpen: boolean;
}

/** The denial sentence for one image, exactly as Kritis and the scenario word it. */
export const notAttested = (image: string): string => `image ${image} is not attested`;

/** Turns one AdmissionReview into its answer: reads the workload, asks the verifier, words the verdict. */
export class AdmissionHandler {
  private served = 0;

  constructor(
    private readonly verifier: ImageVerifier,
    private readonly options: AdmissionHandlerOptions,
    private readonly logger: Logger,
    private readonly metrics?: AdmissionMetrics,
  ) {}

  /** Answers a decoded body; throws BadReviewError (HTTP 400) when it is not an AdmissionReview. */
  async review(body: unknown, apiServerTimeoutMs?: number): Promise<AdmissionReviewResponse> {
    const request = parseAdmissionReview(body);
    const started = performance.now();
    const response = await this.decide(request, apiServerTimeoutMs);
    this.metrics?.observe(outcomeOf(response), (performance.now() - started) / 1000);
    if (response.auditAnnotations?.decision) this.served++;
    if (!response.allowed) this.logDenial(request, response);
    return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
  }

  /** Reviews answered with a recorded decision since the adapter started (what it reports in with). */
  get decisionsServed(): number {
    return this.served;
  }

  /** One log line per denied review: who asked for what, why, and the decision it is recorded as. */
  private logDenial(request: AdmissionRequest, response: AdmissionResponse): void {
    const a = response.auditAnnotations ?? {};
    const line = {
      uid: request.uid,
      kind: request.kind.kind,
      name: request.name,
      namespace: request.namespace,
      operation: request.operation,
      user: request.username,
      message: response.status?.message,
      ...(a.decision ? { decision: a.decision } : {}),
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.reasons ? { reasons: a.reasons } : {}),
    };
    if (a.detail) this.logger.error({ ...line, verifier: this.verifier.describe }, 'admission denied: no verdict (fail-closed)');
    else this.logger.warn(line, 'admission denied');
  }

  private async decide(request: AdmissionRequest, apiServerTimeoutMs: number | undefined): Promise<AdmissionResponse> {
    const uid = request.uid;
    const workload = workloadOf(request);
    if (workload.type === 'skip') {
      return workload.warning
        ? { uid, allowed: true, warnings: [workload.warning], auditAnnotations: { verdict: 'unchecked' } }
        : { uid, allowed: true };
    }
    if (workload.type === 'malformed') {
      return deny(uid, `attestd cannot check this ${request.kind.kind || 'object'}: ${workload.message}`, [short(workload.message)], {
        verdict: 'denied',
        reason: 'MALFORMED_WORKLOAD',
      });
    }
    if (workload.images.length > MAX_IMAGES) {
      const message = `attestd checks at most ${MAX_IMAGES} distinct images per object; this ${request.kind.kind} has ${workload.images.length}`;
      return deny(uid, message, [short(message)], { verdict: 'denied', reason: 'TOO_MANY_IMAGES' });
    }
    const deadlineMs = Math.max(
      MIN_DEADLINE_MS,
      Math.min(this.options.deadlineMs, apiServerTimeoutMs !== undefined ? apiServerTimeoutMs - 1000 : Infinity),
    );
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new VerifierError(`attestd did not answer within ${deadlineMs} ms`, 'TIMEOUT')),
      deadlineMs,
    );
    let output: VerifyOutput;
    try {
      output = await this.verifier.verify(
        {
          namespace: request.namespace,
          images: workload.images,
          breakglass: workload.breakglass,
          review: {
            uid,
            kind: request.kind.kind,
            name: request.name,
            operation: request.operation,
            user: request.username,
            dryRun: request.dryRun,
            subResource: request.subResource,
          },
        },
        controller.signal,
        deadlineMs,
      );
    } catch (err) {
      return this.unverified(request, err, deadlineMs);
    } finally {
      clearTimeout(timer);
    }
    return answer(uid, output, workload.breakglass);
  }

  /** No verdict: deny with a message that says attestd could not be asked (or admit, when configured to fail open). */
  private unverified(request: AdmissionRequest, err: unknown, deadlineMs: number): AdmissionResponse {
    const e =
      err instanceof VerifierError
        ? err
        : new VerifierError(`attestd failed while checking the images (${(err as Error)?.message})`, 'FAILED');
    const cause = e.code === 'TIMEOUT' ? `attestd is unreachable: it did not answer within ${deadlineMs} ms` : e.message;
    if (this.options.failOpen) {
      const log = { uid: request.uid, kind: request.kind.kind, name: request.name, namespace: request.namespace, code: e.code, cause };
      this.logger.error({ ...log, verifier: this.verifier.describe }, 'admission ADMITTED UNVERIFIED (fail-open is configured)');
      return {
        uid: request.uid,
        allowed: true,
        warnings: [short(`images NOT verified, admitted because fail-open is configured: ${cause}`)],
        auditAnnotations: { verdict: 'fail-open', reason: e.code, detail: cause.slice(0, 500) },
      };
    }
    return deny(request.uid, `${cause}; the images were not verified, so the request is denied (fail-closed)`, [short(cause)], {
      verdict: 'denied',
      reason: e.code,
      detail: cause.slice(0, 500),
    });
  }
}

/** Words a verdict: one "is not attested" sentence per denied image, the reasons in warnings and audit annotations. */
function answer(uid: string, output: VerifyOutput, breakglass: boolean): AdmissionResponse {
  const denied = output.results.filter((r) => !r.allowed);
  const warnings: string[] = [];
  if (breakglass) {
    const used = output.results.some((r) => r.reason === 'BREAKGLASS');
    warnings.push(
      used ? 'break-glass annotation used: images admitted without attestation; recorded' : 'break-glass annotation present; recorded',
    );
  }
  for (const r of output.results) if (!r.allowed || r.reason === 'DRY_RUN' || r.reason === 'BREAKGLASS') warnings.push(warningFor(r));
  const auditAnnotations: Record<string, string> = {
    decision: output.decision,
    verdict: denied.length
      ? 'denied'
      : output.results.some((r) => r.reason === 'BREAKGLASS')
        ? 'breakglass'
        : output.results.some((r) => r.reason === 'DRY_RUN')
          ? 'dry-run'
          : 'allowed',
    reasons: JSON.stringify(output.results.map((r) => ({ image: r.image, reason: r.reason }))).slice(0, 4000),
  };
  const policies = [...new Set(output.results.flatMap((r) => r.policies))];
  if (policies.length) auditAnnotations.policies = policies.join(',').slice(0, 1000);
  const cut = warnings.slice(0, MAX_WARNINGS);
  if (output.allowed && denied.length === 0) return { uid, allowed: true, ...(cut.length ? { warnings: cut } : {}), auditAnnotations };
  const message = denied.map(denialSentence).join('; ');
  return deny(uid, message, cut, auditAnnotations);
}

/**
 * The sentence for a denied image: "image … is not attested" when a witness part failed, the failed attestation
 * requirement when one did ("image … does not satisfy policy P: no … attestation by witness W meets its condition
 * (…)"), the vulnerability sentences ("image … violates policy …: CVE-… (CRITICAL, fixed in 1.2.4) and 3 more")
 * when a vulnerabilities block failed; both when both did.
 */
function denialSentence(r: ImageResult): string {
  const findings = (r.vulnerabilities ?? []).map((v) => v.message);
  const vulnerabilityOnly = (VULNERABILITY_REASONS as readonly string[]).includes(r.reason);
  const attestation =
    r.reason === 'REQUIREMENT_NOT_MET' || r.reason === 'DATABASE_UNAVAILABLE'
      ? [r.message]
      : vulnerabilityOnly && findings.length
        ? []
        : [notAttested(r.image)];
  return [...attestation, ...findings].join('; ');
}

/** The reasons of a denial by a vulnerabilities block alone. */
const VULNERABILITY_REASONS: readonly VulnerabilityReason[] = ['VULNERABLE', 'NO_SCAN', 'SCAN_TOO_OLD', 'TOO_MANY_FINDINGS'];

function warningFor(r: ImageResult): string {
  const what = r.reason === 'DRY_RUN' ? 'dry-run' : r.reason === 'BREAKGLASS' ? 'break-glass' : 'denied';
  const image = r.image.length > 48 ? `${r.image.slice(0, 22)}…${r.image.slice(-25)}` : r.image;
  return short(`${image}: ${what}: ${r.reason === 'DRY_RUN' || r.reason === 'BREAKGLASS' ? '' : `${r.reason}: `}${r.message}`);
}

function deny(uid: string, message: string, warnings: string[], auditAnnotations: Record<string, string>): AdmissionResponse {
  return { uid, allowed: false, status: { code: 403, message }, ...(warnings.length ? { warnings } : {}), auditAnnotations };
}

/** Cuts a warning to what Kubernetes shows well (< 120 characters). */
export function short(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= MAX_WARNING_LENGTH ? one : `${one.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}

function outcomeOf(r: AdmissionResponse): string {
  return r.allowed ? (r.auditAnnotations?.verdict ?? 'allowed') : 'denied';
}
