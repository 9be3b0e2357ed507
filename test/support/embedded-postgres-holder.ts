// Test helper run as its own OS process: node embedded-postgres-holder.js DATA_DIR [SQL...]
// Starts the embedded database on DATA_DIR, runs each SQL statement (each commits on its own),
// prints "ready" and then holds the database until SIGTERM or SIGINT (stop, exit 0).
// When the database cannot start it prints the error to stderr and exits 3.
import pg from 'pg';
import { silentLogger } from '../../src/logger';
import { startEmbeddedPostgres } from '../../src/store/embedded/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, ...statements] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error('usage: embedded-postgres-holder DATA_DIR [SQL...]');
  const db = await startEmbeddedPostgres({ dataDir, logger: silentLogger() });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  for (const sql of statements) await client.query(sql);
  await client.end();
  const shutdown = (): void => {
    db.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(3);
});
