import type { Knex } from 'knex';

// Signing rules: a registry namespace (and repository glob) whose pushes a witness signs. The witness
// is a foreign key, so a witness in use by a rule cannot be deleted.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE signing_rules (
      project_id   text NOT NULL REFERENCES projects (project_id),
      rule_id      text NOT NULL,
      registry     text NOT NULL,
      namespace    text NOT NULL,
      repositories text NOT NULL,
      witness_id   text NOT NULL,
      enabled      boolean NOT NULL,
      revision     bigint NOT NULL,
      body         jsonb NOT NULL,
      create_time  timestamptz NOT NULL,
      update_time  timestamptz NOT NULL,
      PRIMARY KEY (project_id, rule_id),
      FOREIGN KEY (project_id, witness_id) REFERENCES witnesses (project_id, witness_id)
    );
    CREATE INDEX signing_rules_scope ON signing_rules (project_id, registry, namespace) WHERE enabled;
    CREATE INDEX signing_rules_witness ON signing_rules (project_id, witness_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE signing_rules;');
}
