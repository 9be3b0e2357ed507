import type { ReviewContext, VerifyOutput } from '../verification/verdict';

/** One admission review's question: may these images run in this namespace of the adapter's cluster? */
export interface VerifyRequest {
  readonly namespace: string;
  readonly images: readonly string[];
  readonly breakglass: boolean;
  readonly review: ReviewContext;
}

/** Answers admission questions: in-process (VerificationService) or remote (attestd's REST API). */
export interface ImageVerifier {
  /** Where verdicts come from, for logs only ("in-process", "attestd at http://…"): denials never show it. */
  readonly describe: string;
  /**
   * Per-image verdicts; rejects with VerifierError when no verdict can be had. `signal` fires at the deadline,
   * `deadlineMs` from the call.
   */
  verify(request: VerifyRequest, signal: AbortSignal, deadlineMs: number): Promise<VerifyOutput>;
  /**
   * Reports in to attestd for the adapter's cluster (`decisionsServed` so far) and learns whether its settings are
   * right: undefined when attestd accepts them, else why not. A `MISCONFIGURED` error (no such project, cluster not
   * registered) makes the adapter not ready; anything else is reported in /readyz's body.
   */
  reportIn(decisionsServed: number): Promise<VerifierError | undefined>;
  /** Releases connections. */
  close(): void;
}

/**
 * The part of a review's deadline attestd's database work may use (ADR 0075): the rest is left to word, record and
 * send the denial that says the database did not answer, before the handler gives up on a verdict altogether.
 */
export function databaseShareMs(deadlineMs: number): number {
  return deadlineMs - Math.min(1000, Math.floor(deadlineMs / 5));
}

/** Why a verdict could not be had; `message` is what the cluster user reads in the denial. */
export class VerifierError extends Error {
  constructor(
    message: string,
    /** Short code for metrics and audit annotations. */
    readonly code: 'UNREACHABLE' | 'TIMEOUT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'MISCONFIGURED' | 'REJECTED' | 'FAILED',
  ) {
    super(message);
  }
}

/**
 * attestd answered NOT_FOUND for the adapter's project or cluster (`detail` is its message): the error that names
 * the setting to fix, or undefined when `detail` is about something else.
 */
export function misconfigured(detail: string, project: string, cluster: string): VerifierError | undefined {
  const fix = /\bcluster\b/.test(detail)
    ? `register cluster ${cluster} (attestd clusters create ${cluster} --project ${project}) or fix --cluster / ADMISSION_CLUSTER`
    : /\bproject\b/.test(detail)
      ? `create project ${project} or fix --project / ADMISSION_PROJECT`
      : undefined;
  return fix === undefined ? undefined : new VerifierError(`the admission adapter is misconfigured: ${detail}; ${fix}`, 'MISCONFIGURED');
}
