import { ApiError } from '../domain/api-error';
import type { Logger } from '../logger';

/** What a storage failure means for a client (the unit of work's classification), or undefined for a bug. */
export type ErrorClassifier = (err: unknown) => ApiError | undefined;

/**
 * Turns anything thrown by a handler into the ApiError a client sees. Unknown failures become INTERNAL
 * with a generic message (no SQL, stack or key material leaves the process) and are logged once, here.
 */
export function toApiError(err: unknown, logger: Logger, requestId: string, classifyError: ErrorClassifier): ApiError {
  if (err instanceof ApiError) return err;
  const mapped = classifyError(err);
  if (mapped) {
    if (mapped.code === 'UNAVAILABLE') logger.warn({ requestId, err: describe(err) }, 'database unavailable');
    return mapped;
  }
  logger.error({ requestId, err }, 'internal error');
  return new ApiError('INTERNAL', `internal error; quote request id ${requestId} when reporting it`);
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e?.code, e?.message].filter(Boolean).join(': ');
}
