import type { Knex } from 'knex';

// Import rules: a registry namespace (and repository glob) whose cosign signatures and attestations are
// read back and verified with the rule's witnesses' keys. The witnesses are kept in a join table with
// foreign keys, so a witness in use by a rule cannot be deleted.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE import_rules (
      project_id   text NOT NULL REFERENCES projects (project_id),
      rule_id      text NOT NULL,
      registry     text NOT NULL,
      namespace    text NOT NULL,
      repositories text NOT NULL,
      enabled      boolean NOT NULL,
      revision     bigint NOT NULL,
      body         jsonb NOT NULL,
      create_time  timestamptz NOT NULL,
      update_time  timestamptz NOT NULL,
      PRIMARY KEY (project_id, rule_id)
    );
    CREATE INDEX import_rules_scope ON import_rules (project_id, registry, namespace) WHERE enabled;
    CREATE TABLE import_rule_witnesses (
      project_id text NOT NULL,
      rule_id    text NOT NULL,
      witness_id text NOT NULL,
      PRIMARY KEY (project_id, rule_id, witness_id),
      FOREIGN KEY (project_id, rule_id) REFERENCES import_rules (project_id, rule_id) ON DELETE CASCADE,
      FOREIGN KEY (project_id, witness_id) REFERENCES witnesses (project_id, witness_id)
    );
    CREATE INDEX import_rule_witnesses_witness ON import_rule_witnesses (project_id, witness_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE import_rule_witnesses; DROP TABLE import_rules;');
}
