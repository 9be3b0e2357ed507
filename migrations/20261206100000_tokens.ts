import type { Knex } from 'knex';

// Tokens with a lifecycle (docs/adr/0060-token-lifecycle-and-identity-providers.md): every token attestd has
// seen (by its jti; never the token itself) and the revocations, which every replica reloads within seconds.
// A jti revoked before any replica saw it has a row with an empty subject and no expiry.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE tokens (
      jti text PRIMARY KEY,
      subject text NOT NULL DEFAULT '',
      roles jsonb NOT NULL DEFAULT '{}',
      issue_time timestamptz,
      expire_time timestamptz,
      record_time timestamptz NOT NULL,
      revoke_time timestamptz,
      revoked_by text NOT NULL DEFAULT ''
    );
    CREATE INDEX tokens_revoked ON tokens (revoke_time) WHERE revoke_time IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE tokens;');
}
