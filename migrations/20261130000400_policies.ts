import type { Knex } from 'knex';

// Security policies. Witness references are kept in a join table with foreign keys, so a witness in
// use cannot disappear under a policy.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE policies (
      project_id  text NOT NULL REFERENCES projects (project_id),
      policy_id   text NOT NULL,
      cluster     text NOT NULL,
      namespaces  text[] NOT NULL,
      enabled     boolean NOT NULL,
      revision    bigint NOT NULL,
      body        jsonb NOT NULL,
      create_time timestamptz NOT NULL,
      update_time timestamptz NOT NULL,
      PRIMARY KEY (project_id, policy_id)
    );
    CREATE INDEX policies_scope ON policies (project_id, cluster) WHERE enabled;
    CREATE TABLE policy_witnesses (
      project_id         text NOT NULL,
      policy_id          text NOT NULL,
      witness_project_id text NOT NULL,
      witness_id         text NOT NULL,
      PRIMARY KEY (project_id, policy_id, witness_project_id, witness_id),
      FOREIGN KEY (project_id, policy_id) REFERENCES policies (project_id, policy_id) ON DELETE CASCADE,
      FOREIGN KEY (witness_project_id, witness_id) REFERENCES witnesses (project_id, witness_id)
    );
    CREATE INDEX policy_witnesses_witness ON policy_witnesses (witness_project_id, witness_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE policy_witnesses; DROP TABLE policies;');
}
