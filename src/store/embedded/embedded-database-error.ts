/** Why the embedded PostgreSQL could not be started; each code comes with a message that names the fix. */
export type EmbeddedDatabaseErrorCode =
  'UNSUPPORTED_PLATFORM' | 'NO_POSTGRES_USER' | 'DATA_DIR_UNREACHABLE' | 'DATA_DIR_IN_USE' | 'DATA_DIR_INVALID' | 'START_FAILED';

/** A startup failure of the embedded database; the caller prints the message and exits non-zero. */
export class EmbeddedDatabaseError extends Error {
  constructor(
    readonly code: EmbeddedDatabaseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}
