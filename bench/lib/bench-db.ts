import pg from 'pg';
import { createStores } from '../../src/app/create-stores';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';

/** The server the benchmarks run on (BENCH_DATABASE_URL) and the dedicated database they create inside it. */
export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
}

/** Creates the benchmark database (BENCH_DATABASE_NAME, default attestd_bench) unless it exists, and migrates it. */
export async function ensureBenchDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DATABASE_NAME must be a plain identifier, got "${name}"`);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // Migrated the way `attestd migrate` does it.
  const config = loadConfig({ DATABASE_URL: url.toString(), DATABASE_POOL_MAX: '1' });
  const stores = await createStores(config, silentLogger(), { migrate: true, pageTokens: 'ephemeral' });
  await stores.close();
  return { url: url.toString(), name };
}

/** A pg pool of `size` connections, like the server's knex pool. */
export function benchPool(url: string, size: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max: size, application_name: 'attestd-bench' });
}

/** The tables the benchmarks write and delete from run after run. */
const CHURNED_TABLES = ['audit_pending', 'audit_events', 'occurrences', 'decisions'];

/**
 * VACUUM (ANALYZE) of the tables the benchmarks churn, so that no benchmark measures the dead rows an earlier
 * one left (a PostgreSQL with autovacuum off keeps them for ever: scans of audit_pending then step over millions).
 * Answers the seconds it took.
 */
export async function vacuumChurnedTables(pool: pg.Pool): Promise<number> {
  const started = Date.now();
  await pool.query(`VACUUM (ANALYZE) ${CHURNED_TABLES.join(', ')}`);
  return (Date.now() - started) / 1000;
}

/** True when the server runs autovacuum (SHOW autovacuum). */
export async function autovacuumOn(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ autovacuum: string }>('SHOW autovacuum');
  return rows[0]?.autovacuum === 'on';
}
