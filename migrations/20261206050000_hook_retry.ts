import type { Knex } from 'knex';

// Hook signings that can be retried (docs/adr/0035-hook-retry.md). A signing that failed because its witness's
// key was disabled remembers that key (waiting_key), so that enabling the key again re-arms exactly those
// signings; the partial index serves that lookup and stays empty otherwise.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE hook_signings ADD COLUMN waiting_key text NOT NULL DEFAULT '';
    CREATE INDEX hook_signings_waiting ON hook_signings (project_id, waiting_key) WHERE status = 'FAILED' AND waiting_key <> '';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX hook_signings_waiting; ALTER TABLE hook_signings DROP COLUMN waiting_key;');
}
