/** Why a registry operation failed, as a caller decides on it (retry, report, refuse). */
export type RegistryErrorReason =
  'NOT_FOUND' | 'UNAUTHORIZED' | 'UNREACHABLE' | 'TOO_LARGE' | 'DIGEST_MISMATCH' | 'NOT_A_MANIFEST' | 'BAD_RESPONSE';

/**
 * A failed registry operation: a reason code, the registry host it concerns and a message saying what happened.
 * Messages never hold credentials, tokens or signed URLs; text a registry sent is quoted and shortened.
 */
export class RegistryError extends Error {
  constructor(
    readonly reason: RegistryErrorReason,
    readonly registry: string,
    message: string,
    /** The HTTP status the registry answered with, when there was an answer. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** True when trying again later may succeed (the registry could not be reached or was overloaded). */
  get retryable(): boolean {
    return this.reason === 'UNREACHABLE';
  }
}
