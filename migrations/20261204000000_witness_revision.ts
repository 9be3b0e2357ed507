import type { Knex } from 'knex';

// Witnesses join the resource kit (docs/adr/0013-resource-kit.md): like policies and signing rules they keep a
// revision, which moves with every update and goes into their etag. Existing witnesses start at revision 1
// (a constant default: no table rewrite).
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE witnesses ADD COLUMN revision bigint NOT NULL DEFAULT 1;');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE witnesses DROP COLUMN revision;');
}
