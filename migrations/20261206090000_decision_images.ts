import type { Knex } from 'knex';

// The images each decision is about, as a list the `image` filter of ListDecisions matches (GIN-indexed for
// exact matches); filled from the stored results for decisions made before.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE decisions ADD COLUMN images text[] NOT NULL DEFAULT '{}';
    UPDATE decisions SET images = ARRAY(
      SELECT r->>'image' FROM jsonb_array_elements(CASE jsonb_typeof(body->'results') WHEN 'array' THEN body->'results' ELSE '[]'::jsonb END) AS r
      WHERE jsonb_typeof(r->'image') = 'string'
    );
    CREATE INDEX decisions_images ON decisions USING gin (images);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX decisions_images; ALTER TABLE decisions DROP COLUMN images;');
}
