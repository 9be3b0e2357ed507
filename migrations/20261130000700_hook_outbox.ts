import type { Knex } from 'knex';

// Registry hooks. hook_receipts makes a redelivered event id a no-op; hook_signings is the outbox,
// one row per witness + registry/repository + digest, claimed by workers with FOR UPDATE SKIP
// LOCKED; hook_events is what hookEvents shows: one row per received event and matching rule (or
// one IGNORED row saying why), pointing at its signing. No foreign key to witnesses or rules: a
// signing whose witness disappeared fails with a reason instead of blocking the deletion.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE hook_receipts (
      project_id   text NOT NULL REFERENCES projects (project_id),
      source       text NOT NULL,
      event_id     text NOT NULL,
      receive_time timestamptz NOT NULL,
      PRIMARY KEY (project_id, source, event_id)
    );
    CREATE TABLE hook_signings (
      signing_id        uuid PRIMARY KEY,
      project_id        text NOT NULL REFERENCES projects (project_id),
      witness_id        text NOT NULL,
      registry          text NOT NULL,
      repository        text NOT NULL,
      digest            text NOT NULL,
      status            text NOT NULL CHECK (status IN ('PENDING', 'SIGNED', 'FAILED')),
      attempts          integer NOT NULL DEFAULT 0,
      next_attempt_time timestamptz NOT NULL,
      reason            text NOT NULL DEFAULT '',
      occurrence        text NOT NULL DEFAULT '',
      actor             text NOT NULL,
      create_time       timestamptz NOT NULL,
      update_time       timestamptz NOT NULL,
      UNIQUE (project_id, witness_id, registry, repository, digest)
    );
    CREATE INDEX hook_signings_due ON hook_signings (next_attempt_time) WHERE status = 'PENDING';
    CREATE TABLE hook_events (
      project_id    text NOT NULL REFERENCES projects (project_id),
      hook_event_id uuid NOT NULL,
      source        text NOT NULL,
      event_id      text NOT NULL,
      action        text NOT NULL,
      media_type    text NOT NULL,
      image         text NOT NULL,
      tag           text NOT NULL,
      rule_id       text NOT NULL DEFAULT '',
      witness_id    text NOT NULL DEFAULT '',
      signing_id    uuid REFERENCES hook_signings (signing_id),
      reason        text NOT NULL DEFAULT '',
      receive_time  timestamptz NOT NULL,
      PRIMARY KEY (project_id, hook_event_id)
    );
    CREATE INDEX hook_events_signing ON hook_events (signing_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE hook_events; DROP TABLE hook_signings; DROP TABLE hook_receipts;');
}
