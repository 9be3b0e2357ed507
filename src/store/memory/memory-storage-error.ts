import { ApiError } from '../../domain/api-error';

/** What the memory backend refused, as the database's constraints would. */
export type StorageFailure = 'foreign-key' | 'unique' | 'nul' | 'invalid-value';

/** A write the memory backend refused: a missing or still-referenced row, a duplicate key, NUL in text or a malformed value. */
export class MemoryStorageError extends Error {
  constructor(
    readonly failure: StorageFailure,
    message: string,
  ) {
    super(message);
    this.name = 'MemoryStorageError';
  }
}

/** What a memory storage failure means for a client: the same answers Postgres' SQLSTATEs get (sql-errors.ts). */
export function classifyMemoryError(err: unknown): ApiError | undefined {
  if (!(err instanceof MemoryStorageError)) return undefined;
  switch (err.failure) {
    case 'foreign-key':
      return new ApiError(
        'FAILED_PRECONDITION',
        'a resource this request depends on, or that depends on it, changed concurrently; retry it',
      );
    case 'nul':
      return new ApiError('INVALID_ARGUMENT', 'text must not contain the NUL character (U+0000)');
    case 'invalid-value':
      return new ApiError('INVALID_ARGUMENT', 'a value in the request is out of range or malformed');
    case 'unique':
      // A duplicate primary key is a bug in the caller (ids are generated), as on Postgres.
      return undefined;
  }
}

/** Throws a foreign-key failure unless `present`. */
export function requireParent(present: boolean, what: string): void {
  if (!present) throw new MemoryStorageError('foreign-key', `foreign key violation: ${what} does not exist`);
}

/** Throws a foreign-key failure when `referenced`. */
export function refuseIfReferenced(referenced: boolean, what: string): void {
  if (referenced) throw new MemoryStorageError('foreign-key', `foreign key violation: ${what} is still referenced`);
}
