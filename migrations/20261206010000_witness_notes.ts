import type { Knex } from 'knex';

// Witnesses vouch for further notes (Tekton Chains', Cloud Build's: their occurrences count as the witness's
// attestations when its keys verify them) and may accept envelopes signed over the raw payload
// (docs/adr/0015-witness-notes.md). Existing witnesses keep their behaviour: no extra notes, PAE only.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE witnesses
      ADD COLUMN notes jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN accept_raw_envelope boolean NOT NULL DEFAULT false;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE witnesses DROP COLUMN notes, DROP COLUMN accept_raw_envelope;');
}
