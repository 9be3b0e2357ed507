import type { Knex } from 'knex';

// Admission and verification decisions, one row per review or VerifyImages call.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE decisions (
      decision_id uuid PRIMARY KEY,
      project_id  text NOT NULL REFERENCES projects (project_id),
      time        timestamptz NOT NULL,
      cluster     text NOT NULL,
      namespace   text NOT NULL,
      allowed     boolean NOT NULL,
      source      text NOT NULL,
      object_kind text NOT NULL,
      actor       text NOT NULL,
      body        jsonb NOT NULL
    );
    CREATE INDEX decisions_project_keyset ON decisions (project_id, decision_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE decisions;');
}
