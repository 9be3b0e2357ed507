import { PayloadTooLargeError, type ApiError } from '../../domain/api-error';
import { ERROR_CODES } from '../../domain/error-codes';

/** The HTTP status and Google-shaped JSON body for an error, with the request id as a RequestInfo detail. */
export function googleError(err: ApiError, requestId: string, httpStatus?: number): { status: number; body: object } {
  const status = httpStatus ?? (err instanceof PayloadTooLargeError ? err.httpStatus : ERROR_CODES[err.code].http);
  const details: object[] = [{ '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId }];
  if (err.violations.length > 0) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: err.violations });
  }
  return { status, body: { error: { code: status, message: err.message, status: err.code, details } } };
}
