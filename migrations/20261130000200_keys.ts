import type { Knex } from 'knex';

// Keys of the local KMS. Private key material is stored sealed (AES-256-GCM envelope) and never selected
// by any read path except signing.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE keys (
      project_id      text NOT NULL REFERENCES projects (project_id),
      key_id          text NOT NULL,
      key_spec        text NOT NULL,
      purpose         text NOT NULL,
      algorithm       text NOT NULL,
      description     text NOT NULL DEFAULT '',
      state           text NOT NULL,
      primary_version integer NOT NULL,
      create_time     timestamptz NOT NULL,
      update_time     timestamptz NOT NULL,
      PRIMARY KEY (project_id, key_id)
    );
    CREATE TABLE key_versions (
      project_id      text NOT NULL,
      key_id          text NOT NULL,
      version         integer NOT NULL,
      algorithm       text NOT NULL,
      public_key_pem  text NOT NULL,
      material        bytea NOT NULL,
      material_key_id text NOT NULL,
      create_time     timestamptz NOT NULL,
      PRIMARY KEY (project_id, key_id, version),
      FOREIGN KEY (project_id, key_id) REFERENCES keys (project_id, key_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE key_versions; DROP TABLE keys;');
}
