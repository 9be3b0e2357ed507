import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../logger';
import { enforceDeadlines } from './query-deadline';
import { refuseUnreplicatedCommits } from './unreplicated-commit';

/** Connection pool settings: fail fast (UNAVAILABLE) when Postgres is away, recover by reconnecting. */
export interface DatabaseOptions {
  readonly url: string;
  readonly poolMax: number;
  readonly acquireTimeoutMs?: number;
  /**
   * `url` is a transaction pooler (pgbouncer): no session settings in the startup packet, which pgbouncer
   * refuses ("unsupported startup parameter"); the statement timeout is then the server's (ALTER ROLE … SET).
   */
  readonly pooled?: boolean;
  /** Where knex's own warnings go (otherwise it prints them to the console, outside the JSON logs). */
  readonly logger?: Logger;
}

/** Longest a single statement may run (migrations included). */
export const STATEMENT_TIMEOUT_MS = 60_000;
/** Longest the client waits for any statement, request or not, before it cuts the connection (ADR 0075). */
export const STATEMENT_CEILING_MS = STATEMENT_TIMEOUT_MS + 5000;

/** Opens a knex pool on a Postgres URL. No connection is made until the first query. */
export function openDatabase(options: DatabaseOptions): Knex {
  const logger = options.logger;
  return knexFactory({
    client: 'pg',
    // knex reports every failed connection attempt while Postgres is away; requests already log
    // "database unavailable", so these go to debug, as structured entries rather than console text.
    log: {
      warn: (message: unknown) => logger?.debug({ knex: String(message) }, 'knex warning'),
      error: (message: unknown) => logger?.error({ knex: String(message) }, 'knex error'),
      deprecate: (method: unknown, alternative: unknown) => logger?.debug({ method, alternative }, 'knex deprecation'),
      debug: (message: unknown) => logger?.trace({ knex: message }, 'knex debug'),
    },
    connection: {
      connectionString: options.url,
      connectionTimeoutMillis: 2000,
      keepAlive: true,
      application_name: 'attestd',
      // Postgres cancels statements after this long; a server that hangs instead is cut off by the client
      // (enforceDeadlines: the request's deadline, or STATEMENT_CEILING_MS).
      ...(options.pooled ? {} : { statement_timeout: STATEMENT_TIMEOUT_MS }),
    },
    pool: {
      // A commit Postgres reports with a cancelled synchronous-replication wait is not acknowledged (ADR 0062).
      afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
        refuseUnreplicatedCommits(conn, (notice) =>
          logger?.warn({ notice }, 'a commit was not confirmed by a synchronous standby; the request answers UNAVAILABLE'),
        );
        // A statement past its request's deadline is abandoned and its connection cut (ADR 0075).
        enforceDeadlines(conn, STATEMENT_CEILING_MS, (err) =>
          logger?.warn(
            { deadlineMs: err.ms, setting: err.setting, outcomeUnknown: err.outcomeUnknown },
            'the database did not answer in time; the statement was abandoned and its connection closed',
          ),
        );
        done(null, conn);
      },
      min: 0,
      max: options.poolMax,
      idleTimeoutMillis: 30000,
      createTimeoutMillis: 2000,
      acquireTimeoutMillis: options.acquireTimeoutMs ?? 2500,
      propagateCreateError: true,
    },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 2500,
  });
}

/** Where the compiled migrations live (dist/migrations next to dist/src). */
export const MIGRATIONS_DIR = path.join(__dirname, '..', '..', 'migrations');

/** The session advisory lock (pg_advisory_lock key) that serializes migrations across processes. */
const MIGRATION_LOCK_KEY = 0x61747465; // "atte"

/**
 * Applies every pending migration. With `lockUrl` (a direct connection, never a transaction pooler: the lock
 * belongs to a session) processes starting at once take turns under a session advisory lock: knex's own lock
 * makes the loser fail ("Migration table is already locked"), and two first starts race creating its tables.
 */
export async function migrateLatest(knex: Knex, options: { lockUrl?: string } = {}): Promise<string[]> {
  const migrate = async (): Promise<string[]> => {
    const [, applied] = (await knex.migrate.latest({ directory: MIGRATIONS_DIR, loadExtensions: ['.js'] })) as [number, string[]];
    return applied;
  };
  if (options.lockUrl === undefined) return migrate();
  const lock = new pg.Client({ connectionString: options.lockUrl, connectionTimeoutMillis: 2000, application_name: 'attestd migrate' });
  lock.on('error', () => undefined); // a lost lock connection surfaces as the next query's error
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await migrate();
  } finally {
    await lock.end().catch(() => undefined); // ending the session releases the lock
  }
}

/** The migrations shipped with this build that are applied and pending, by file name. */
export async function migrationStatus(knex: Knex): Promise<{ applied: string[]; pending: string[] }> {
  const [done, pending] = (await knex.migrate.list({ directory: MIGRATIONS_DIR, loadExtensions: ['.js'] })) as [
    Array<{ name: string }>,
    Array<{ file: string }>,
  ];
  return { applied: done.map((m) => m.name), pending: pending.map((m) => m.file) };
}

/** True when every migration shipped with this build has been applied. */
export async function isMigrated(knex: Knex): Promise<boolean> {
  const [, pending] = (await knex.migrate.list({ directory: MIGRATIONS_DIR, loadExtensions: ['.js'] })) as [unknown[], unknown[]];
  return pending.length === 0;
}
