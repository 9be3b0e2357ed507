import type { Knex } from 'knex';

// The audit trail: one hash chain per project (audit_events), and the head of each chain kept in a
// separate table updated in the same transaction (audit_chain_heads). Events outlive their project, so
// there is no foreign key to projects. Keyset paging per project uses the primary key (project_id, seq).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE audit_chain_heads (
      project_id  text PRIMARY KEY,
      seq         bigint NOT NULL,
      hash        text NOT NULL,
      update_time timestamptz NOT NULL
    );
    CREATE TABLE audit_events (
      project_id text NOT NULL,
      seq        bigint NOT NULL,
      event_id   uuid NOT NULL UNIQUE,
      time       timestamptz NOT NULL,
      actor      text NOT NULL,
      method     text NOT NULL,
      resource   text NOT NULL,
      request_id text NOT NULL,
      kind       text NOT NULL CHECK (kind IN ('change', 'security', 'decision')),
      details    jsonb NOT NULL,
      prev_hash  text NOT NULL,
      hash       text NOT NULL,
      PRIMARY KEY (project_id, seq)
    );
    CREATE INDEX audit_events_project_time ON audit_events (project_id, time, seq);
    CREATE INDEX audit_events_project_actor ON audit_events (project_id, actor, seq);
    CREATE INDEX audit_events_project_resource ON audit_events (project_id, resource, seq);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE audit_events; DROP TABLE audit_chain_heads;');
}
