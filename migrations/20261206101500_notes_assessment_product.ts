import type { Knex } from 'knex';

// VEX statements are VULNERABILITY_ASSESSMENT notes; admission finds those about an image (or its repository) by
// their product URI, so that lookup is one indexed query whatever the number of notes.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX notes_assessment_product ON notes (project_id, (body #>> '{vulnerabilityAssessment,product,genericUri}'), note_id)
      WHERE kind = 'VULNERABILITY_ASSESSMENT';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX notes_assessment_product;');
}
