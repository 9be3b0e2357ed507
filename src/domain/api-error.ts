/** The status codes attestd speaks on every transport (a subset of google.rpc.Code). */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

/** One violated field, carried as a google.rpc.BadRequest detail. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * A failure a client can act on: a code plus a message that says what to fix.
 * Anything thrown that is not an ApiError is reported to clients as INTERNAL with a generic message.
 */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A request body over a limit: RESOURCE_EXHAUSTED, answered over HTTP as 413 Payload Too Large. */
export class PayloadTooLargeError extends ApiError {
  readonly httpStatus = 413;
  constructor(message: string) {
    super('RESOURCE_EXHAUSTED', message);
  }
}

/** Shorthand constructors, so call sites read as sentences. */
export const invalidArgument = (message: string, violations?: FieldViolation[]): ApiError =>
  new ApiError('INVALID_ARGUMENT', message, violations);
export const notFound = (message: string): ApiError => new ApiError('NOT_FOUND', message);
export const alreadyExists = (message: string): ApiError => new ApiError('ALREADY_EXISTS', message);
export const failedPrecondition = (message: string): ApiError => new ApiError('FAILED_PRECONDITION', message);
