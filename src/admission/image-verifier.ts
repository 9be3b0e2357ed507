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
  /** Per-image verdicts; rejects with VerifierError when no verdict can be had. `signal` fires at the deadline. */
  verify(request: VerifyRequest, signal: AbortSignal): Promise<VerifyOutput>;
  /**
   * Undefined when attestd answers and accepts the adapter's settings, else why not. A `MISCONFIGURED` error
   * (no such project, cluster not registered) makes the adapter not ready; anything else is reported in /readyz's body.
   */
  probe(): Promise<VerifierError | undefined>;
  /** Releases connections. */
  close(): void;
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

/** The adapter's project does not exist in attestd: names the setting to fix. */
export function projectMissing(detail: string, project: string): VerifierError {
  return new VerifierError(
    `the admission adapter is misconfigured: ${detail}; create project ${project} or fix --project / ADMISSION_PROJECT`,
    'MISCONFIGURED',
  );
}
