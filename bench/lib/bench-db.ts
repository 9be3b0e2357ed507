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
