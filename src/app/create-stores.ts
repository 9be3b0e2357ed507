import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { ChangeFeed } from '../domain/change-feed';
import type { Committed, UnitOfWork } from '../domain/stores/unit-of-work';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { ChangeListener } from '../store/change-listener';
import { checkAutovacuum } from '../store/autovacuum-check';
import { isMigrated, migrateLatest, migrationStatus, openDatabase } from '../store/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../store/embedded/embedded-postgres';
import { PageTokens } from '../store/page-token';
import { PostgresUnitOfWork } from '../store/postgres-unit-of-work';
import { SettingsStore } from '../store/settings-store';
import { databaseStartError, fromDatabaseError } from '../store/sql-errors';
import type { Worker } from './worker';

/** The storage floor of a running attestd: the unit of work over its database and what keeps it current. */
export interface AppStores {
  readonly uow: UnitOfWork;
  /** Bumped by this process's commits and, through the change listener, by other replicas'. */
  readonly feed: ChangeFeed;
  /** The database URL (holds the embedded database's password: never log it). */
  readonly databaseUrl: string;
  /** Where the data lives, for the start-up log: `embedded in DATA_DIR` or `DATABASE_URL`. */
  readonly location: string;
  /** Migrations this start applied. */
  readonly applied: readonly string[];
  /** Postgres NOTIFY from other replicas; while it is disconnected the feed is not trusted. */
  readonly changeListener: Worker & { readonly connected: boolean };
  /** Calls `listener` after every commit with what it touched and audited. */
  onCommit(listener: (committed: Committed) => void): void;
  /** True when the database answers and every migration of this build is applied. */
  ready(): Promise<boolean>;
  /** Registers the connection pool and statement gauges. */
  instrument(metrics: Metrics): void;
  /** Closes the pool, then stops the embedded database if this process started it. */
  close(): Promise<void>;
}

/** What `createStores` does beyond connecting. */
export interface StoreOptions {
  /** Apply pending migrations first (default: MIGRATE_ON_START). */
  readonly migrate?: boolean;
  /**
   * `shared`: the page-token key every replica reads from the database (created on first use; the server).
   * `ephemeral`: a random key for this process, for tools that must not write settings (audit verify, migrate).
   */
  readonly pageTokens?: 'shared' | 'ephemeral';
  /** Warn about server settings attestd relies on (autovacuum): the server does; tools whose output is read do not. */
  readonly checkSettings?: boolean;
}

/** Connects the configured database (or starts the embedded one), migrates, and builds the unit of work. */
export async function createStores(config: Config, logger: Logger, options: StoreOptions = {}): Promise<AppStores> {
  const { knex, url, embedded } = await connectDatabase(config, logger);
  // LISTEN and session advisory locks need a session of their own, which a transaction pooler does not give.
  const directUrl = embedded ? url : (config.databaseDirectUrl ?? url);
  // A database that refuses connections is waited for (e.g. under docker compose), but only this long.
  const deadline = Date.now() + config.databaseWaitSeconds * 1000;
  try {
    const migrate = options.migrate ?? config.migrateOnStart;
    const applied = migrate ? await withRetry(() => migrateLatest(knex, { lockUrl: directUrl }), logger, deadline) : [];
    if (!migrate) await checkMigrated(knex, logger, deadline);
    if (options.checkSettings)
      await checkAutovacuum(
        async () => (await knex.raw<{ rows: Array<{ autovacuum?: string }> }>('SHOW autovacuum')).rows[0]?.autovacuum,
        logger,
      );
    const key =
      options.pageTokens === 'ephemeral'
        ? crypto.randomBytes(32)
        : await withRetry(() => new SettingsStore(knex).secret('page_token_key'), logger, deadline);
    const feed = new ChangeFeed();
    const listeners: Array<(committed: Committed) => void> = [];
    const uow = new PostgresUnitOfWork(knex, new PageTokens(key), (committed) => {
      feed.bump(committed.touched);
      for (const listener of listeners) listener(committed);
    });
    const listener = new ChangeListener(directUrl, feed, logger);
    return {
      uow,
      feed,
      databaseUrl: url,
      location: embedded ? `embedded in ${config.dataDir}` : 'DATABASE_URL',
      applied,
      changeListener: {
        name: 'change listener',
        start: () => listener.start(),
        stop: () => listener.stop(),
        get connected() {
          return listener.connected;
        },
      },
      onCommit: (l) => void listeners.push(l),
      ready: async () => (await knex.raw('SELECT 1').then(() => true)) && isMigrated(knex),
      instrument: (metrics) => instrumentPool(knex, metrics),
      close: async () => {
        await knex.destroy();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await knex.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw embedded ? err : databaseStartError(err, url, config.databaseWaitSeconds);
  }
}

/**
 * Without MIGRATE_ON_START: a database without attestd's schema stops the start with what to run; one a
 * migration behind (an upgrade whose `attestd migrate` has not run yet) starts, not ready until it has.
 */
async function checkMigrated(knex: Knex, logger: Logger, deadline: number): Promise<void> {
  const { applied, pending } = await withRetry(() => migrationStatus(knex), logger, deadline);
  if (pending.length === 0) return;
  if (applied.length === 0) {
    throw new Error(
      'the database has no attestd schema and MIGRATE_ON_START is false: run `attestd migrate` (same DATABASE_URL) first, ' +
        'or start once with MIGRATE_ON_START=true',
    );
  }
  logger.warn(
    { pending },
    `${pending.length} migration(s) pending and MIGRATE_ON_START is false: run \`attestd migrate\`; /readyz answers 503 until then`,
  );
}

/** The configured database server, or the embedded one under DATA_DIR (started here). */
async function connectDatabase(config: Config, logger: Logger): Promise<{ knex: Knex; url: string; embedded?: EmbeddedDatabase }> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
    url = embedded.url;
  }
  // A direct URL other than DATABASE_URL says DATABASE_URL is a transaction pooler (pgbouncer).
  const pooled = !embedded && config.databaseDirectUrl !== undefined && config.databaseDirectUrl !== url;
  return { knex: openDatabase({ url, poolMax: config.databasePoolMax, logger, pooled }), url, embedded };
}

/** Retries start-up work while the database is still coming up, until `deadline` (epoch ms): UNAVAILABLE only. */
async function withRetry<T>(work: () => Promise<T>, logger: Logger, deadline: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const left = deadline - Date.now();
      if (fromDatabaseError(err)?.code !== 'UNAVAILABLE' || left <= 0) throw err;
      logger.warn({ attempt: i, code: (err as { code?: unknown }).code }, 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(1000, left)));
    }
  }
}

function instrumentPool(knex: Knex, metrics: Metrics): void {
  const pool = (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
  metrics.gauge('attestd_db_pool_used', 'Database connections in use', () => pool?.numUsed() ?? 0);
  metrics.gauge('attestd_db_pool_free', 'Idle database connections', () => pool?.numFree() ?? 0);
  metrics.gauge('attestd_db_pool_pending', 'Requests waiting for a database connection', () => pool?.numPendingAcquires() ?? 0);
  const query = metrics.counter('attestd_db_queries_total', 'Statements sent to the database since start');
  knex.on('query', query);
}
