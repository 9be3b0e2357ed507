import type { Knex } from 'knex';

// Verdict caches check where a project's recorded changes stand before every cached answer (ADR 0045): the
// newest chained change event of the project. Decisions and security events far outnumber changes in a
// chain, so a partial index over the change events alone makes that a single index probe.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX audit_events_changes ON audit_events (project_id, seq) WHERE kind = 'change';`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX audit_events_changes;');
}
