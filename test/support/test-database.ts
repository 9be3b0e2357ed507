import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { silentLogger } from '../../src/logger';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/store/embedded/embedded-postgres';

/** A Postgres server tests can make scratch databases on. */
export interface TestBackend {
  readonly name: 'postgres' | 'embedded';
  /** Creates an empty database and returns its URL; it is dropped when the test run ends. */
  createDatabase(): Promise<string>;
}

const created: { admin: string; db: string }[] = [];
/** How many scratch databases are dropped at once at the end of the run. */
const DROP_CONCURRENCY = 4;
let embedded: Promise<EmbeddedDatabase> | undefined;
let embeddedDir: string | undefined;

/** The real Postgres of TEST_DATABASE_URL, if set. Under CI=true it must be set. */
export function realPostgres(): TestBackend | undefined {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    if (process.env.CI === 'true') throw new Error('TEST_DATABASE_URL must be set under CI=true (.ci/run sets it)');
    return undefined;
  }
  return { name: 'postgres', createDatabase: () => scratchDatabase(url) };
}

/** The embedded PostgreSQL attestd uses by default, started once per test run in a temp DATA_DIR. */
export function embeddedPostgres(): TestBackend {
  return {
    name: 'embedded',
    createDatabase: async () => {
      embedded ??= (async () => {
        embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-test-embedded-'));
        fs.chmodSync(embeddedDir, 0o755);
        return startEmbeddedPostgres({ dataDir: embeddedDir, logger: silentLogger() });
      })();
      return scratchDatabase((await embedded).url);
    },
  };
}

/** Every backend available: the embedded database always, the real Postgres when configured. */
export function testBackends(): TestBackend[] {
  const real = realPostgres();
  return real ? [real, embeddedPostgres()] : [embeddedPostgres()];
}

/** The first backend: the real Postgres when configured (faster), else the embedded one. */
export function defaultBackend(): TestBackend {
  return realPostgres() ?? embeddedPostgres();
}

async function scratchDatabase(adminUrl: string): Promise<string> {
  const db = `attestd_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE ${db}`);
  } finally {
    await admin.destroy();
  }
  created.push({ admin: adminUrl, db });
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

/** Drops every scratch database and stops the embedded server (mocha root hook). */
export async function cleanUpTestDatabases(): Promise<void> {
  const byServer = new Map<string, string[]>();
  for (const { admin, db } of created.splice(0)) byServer.set(admin, [...(byServer.get(admin) ?? []), db]);
  for (const [adminUrl, dbs] of byServer) {
    // A few drops at a time on one pool: a full run leaves hundreds of databases.
    const admin: Knex = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: DROP_CONCURRENCY } });
    const next = (): Promise<void> => {
      const db = dbs.pop();
      if (db === undefined) return Promise.resolve();
      return admin
        .raw(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
        .catch(() => undefined)
        .then(next);
    };
    await Promise.all(Array.from({ length: DROP_CONCURRENCY }, next));
    await admin.destroy();
  }
  if (embedded) {
    await (await embedded).stop();
    embedded = undefined;
    if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
  }
}
