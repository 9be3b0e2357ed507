import { ApiError } from '../domain/api-error';
import { DatabaseDeadlineError } from './query-deadline';
import { UnreplicatedCommitError } from './unreplicated-commit';

// The one place that knows SQLSTATE codes and driver error shapes.

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** Maps a database/driver error to an ApiError a client can act on, or undefined when it is a real bug. */
export function fromDatabaseError(err: unknown): ApiError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  if (err instanceof UnreplicatedCommitError) {
    return new ApiError(
      'UNAVAILABLE',
      'the database could not confirm that this write reached a synchronous standby; its outcome is unknown: read it back before retrying',
    );
  }
  if (err instanceof DatabaseDeadlineError) {
    const late = `the database did not answer within ${err.ms} ms (${err.setting})`;
    return new ApiError(
      'UNAVAILABLE',
      err.outcomeUnknown
        ? `${late} while committing this write: it may or may not have been stored; read it back before retrying`
        : `${late}; retry shortly`,
    );
  }
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  // A pooler refusing a session setting (08P01) is a configuration to fix, not an outage to wait out.
  if (/unsupported startup parameter/i.test(message)) return undefined;
  if (
    CONNECTION_ERRNOS.has(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up / shutting down)
    code === '53300' || // too_many_connections
    e.name === 'KnexTimeoutError' ||
    /Connection terminated|Timeout acquiring a connection|connection timeout|timeout expired|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return new ApiError('UNAVAILABLE', 'the database is unavailable; retry shortly');
  }
  if (code === '40001' || code === '40P01') {
    return new ApiError('UNAVAILABLE', 'the request conflicted with a concurrent change; retry it');
  }
  if (code === '23503') {
    return new ApiError('FAILED_PRECONDITION', 'a resource this request depends on, or that depends on it, changed concurrently; retry it');
  }
  if (code === '22021' || code === '22P05') {
    return new ApiError('INVALID_ARGUMENT', 'text must not contain the NUL character (U+0000)');
  }
  if (code.startsWith('22')) {
    return new ApiError('INVALID_ARGUMENT', 'a value in the request is out of range or malformed');
  }
  return undefined;
}

/**
 * A start-up failure on DATABASE_URL as one line: the variable, the server (never the password) and what to fix.
 * `waitSeconds` is how long start-up waited for a server that refused connections (DATABASE_WAIT_SECONDS).
 */
export function databaseStartError(err: unknown, url: string, waitSeconds: number): Error {
  const where = databaseLocation(url);
  const e = (err && typeof err === 'object' ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const reason = (typeof e.message === 'string' && e.message ? e.message : String(err)).replace(/\s+/g, ' ');
  let message: string;
  if (code === '28P01' || code === '28000') message = `DATABASE_URL: ${where} refused the login: ${reason}; fix the user or password`;
  else if (/unsupported startup parameter/i.test(reason)) {
    message =
      `DATABASE_URL: ${where} refused a session setting (${reason}): it is a transaction pooler; ` +
      'set DATABASE_DIRECT_URL to a direct connection to Postgres';
  } else if (code === '3D000') message = `DATABASE_URL: ${reason} on ${where}; create it or fix the database name`;
  else if (fromDatabaseError(err)?.code === 'UNAVAILABLE') {
    message = `DATABASE_URL: ${where} did not accept connections within ${waitSeconds} s (DATABASE_WAIT_SECONDS): ${reason}`;
  } else if (code) message = `DATABASE_URL: ${where}: ${reason}`;
  else return err instanceof Error ? err : new Error(reason); // attestd's own message already says what to fix
  return new Error(message, { cause: err });
}

/** `host:port/database` of a postgres URL, for messages (user and password left out). */
function databaseLocation(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `the database at ${host}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username)}`;
  } catch {
    return 'the database';
  }
}
