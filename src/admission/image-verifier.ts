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
  /** Where verdicts come from, for logs and messages ("in-process", "attestd at http://…"). */
  readonly describe: string;
  /** Per-image verdicts; rejects with VerifierError when no verdict can be had. `signal` fires at the deadline. */
  verify(request: VerifyRequest, signal: AbortSignal): Promise<VerifyOutput>;
  /** Undefined when attestd answers and accepts the adapter's credentials, else why not. */
  probe(): Promise<string | undefined>;
  /** Releases connections. */
  close(): void;
}

/** Why a verdict could not be had; `message` is what the cluster user reads in the denial. */
export class VerifierError extends Error {
  constructor(
    message: string,
    /** Short code for metrics and audit annotations. */
    readonly code: 'UNREACHABLE' | 'TIMEOUT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'REJECTED' | 'FAILED',
  ) {
    super(message);
  }
}
