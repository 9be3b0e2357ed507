import type { Knex } from 'knex';

// Trusted OIDC issuers per project (docs/adr/0060-token-lifecycle-and-identity-providers.md): the resource kit's
// columns, the issuer (tokens are matched by their "iss") and the spec in body.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE identity_providers (
      project_id  text NOT NULL REFERENCES projects (project_id),
      provider_id text NOT NULL,
      issuer      text NOT NULL,
      revision    bigint NOT NULL,
      body        jsonb NOT NULL,
      create_time timestamptz NOT NULL,
      update_time timestamptz NOT NULL,
      PRIMARY KEY (project_id, provider_id)
    );
    CREATE INDEX identity_providers_issuer ON identity_providers (issuer);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE identity_providers;');
}
