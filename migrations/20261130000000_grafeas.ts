import type { Knex } from 'knex';

// Projects, notes and occurrences. Filtered and joined fields are real columns with b-tree indexes;
// the full message is kept as JSONB. Occurrence ids are time-ordered UUIDs (no sequence hot spot).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE projects (
      project_id  text PRIMARY KEY,
      create_time timestamptz NOT NULL
    );
    CREATE TABLE notes (
      project_id  text NOT NULL REFERENCES projects (project_id),
      note_id     text NOT NULL,
      kind        text NOT NULL,
      create_time timestamptz NOT NULL,
      update_time timestamptz NOT NULL,
      body        jsonb NOT NULL,
      PRIMARY KEY (project_id, note_id)
    );
    CREATE TABLE occurrences (
      occurrence_id   uuid PRIMARY KEY,
      project_id      text NOT NULL REFERENCES projects (project_id),
      resource_uri    text NOT NULL,
      note_project_id text NOT NULL,
      note_id         text NOT NULL,
      kind            text NOT NULL,
      create_time     timestamptz NOT NULL,
      update_time     timestamptz NOT NULL,
      body            jsonb NOT NULL,
      FOREIGN KEY (note_project_id, note_id) REFERENCES notes (project_id, note_id)
    );
    CREATE INDEX occurrences_project_keyset ON occurrences (project_id, occurrence_id);
    CREATE INDEX occurrences_project_resource ON occurrences (project_id, resource_uri, occurrence_id);
    CREATE INDEX occurrences_note_keyset ON occurrences (note_project_id, note_id, occurrence_id);
    CREATE INDEX occurrences_resource_note ON occurrences (resource_uri, note_project_id, note_id);
    CREATE TABLE settings (
      name  text PRIMARY KEY,
      value text NOT NULL
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE occurrences; DROP TABLE notes; DROP TABLE projects; DROP TABLE settings;');
}
