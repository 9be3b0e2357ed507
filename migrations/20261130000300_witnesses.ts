import type { Knex } from 'knex';

// Witnesses: signing authorities bound to keys and to a Grafeas ATTESTATION note of the same id.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE witnesses (
      project_id  text NOT NULL REFERENCES projects (project_id),
      witness_id  text NOT NULL,
      description text NOT NULL DEFAULT '',
      keys        jsonb NOT NULL,
      public_keys jsonb NOT NULL,
      create_time timestamptz NOT NULL,
      update_time timestamptz NOT NULL,
      PRIMARY KEY (project_id, witness_id),
      FOREIGN KEY (project_id, witness_id) REFERENCES notes (project_id, note_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE witnesses;');
}
