import type { Knex } from 'knex';

// Registry imports share the hook outbox with signings: a hook_signings row of kind IMPORT reads one pushed
// signature manifest (its digest and tag) for one witness, over plain HTTP or https as its import rule said, and
// ends IMPORTED (occurrences: the names recorded, space-separated) or REJECTED (reason), or FAILED like a signing.
// The uniqueness key gains the kind, so a signing and an import of the same digest are separate jobs.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE hook_signings
      ADD COLUMN kind       text NOT NULL DEFAULT 'SIGN' CHECK (kind IN ('SIGN', 'IMPORT')),
      ADD COLUMN tag        text NOT NULL DEFAULT '',
      ADD COLUMN plain_http boolean NOT NULL DEFAULT false,
      DROP CONSTRAINT hook_signings_status_check,
      ADD CONSTRAINT hook_signings_status_check CHECK (status IN ('PENDING', 'SIGNED', 'FAILED', 'IMPORTED', 'REJECTED')),
      DROP CONSTRAINT hook_signings_project_id_witness_id_registry_repository_dig_key,
      ADD CONSTRAINT hook_signings_job_key UNIQUE (project_id, kind, witness_id, registry, repository, digest);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DELETE FROM hook_events WHERE signing_id IN (SELECT signing_id FROM hook_signings WHERE kind = 'IMPORT');
    DELETE FROM hook_signings WHERE kind = 'IMPORT';
    ALTER TABLE hook_signings
      DROP CONSTRAINT hook_signings_job_key,
      ADD CONSTRAINT hook_signings_project_id_witness_id_registry_repository_dig_key UNIQUE (project_id, witness_id, registry, repository, digest),
      DROP CONSTRAINT hook_signings_status_check,
      ADD CONSTRAINT hook_signings_status_check CHECK (status IN ('PENDING', 'SIGNED', 'FAILED')),
      DROP COLUMN plain_http,
      DROP COLUMN tag,
      DROP COLUMN kind;
  `);
}
