import type { Knex } from 'knex';

// Audit events are written unchained on the request path (audit_pending, in the same transaction as the
// change they record) and chained into audit_events by the per-project sequencer (src/audit/audit-sequencer.ts,
// ADR 0009). The table only holds events for the milliseconds until they are sequenced, so it is small and
// churns: autovacuum is told to look at it after a fixed number of dead rows rather than a fraction.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE audit_pending (
      event_id   uuid PRIMARY KEY,
      project_id text NOT NULL,
      time       timestamptz NOT NULL,
      actor      text NOT NULL,
      method     text NOT NULL,
      resource   text NOT NULL,
      request_id text NOT NULL,
      kind       text NOT NULL CHECK (kind IN ('change', 'security', 'decision')),
      details    jsonb NOT NULL
    ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
            autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000);
    CREATE INDEX audit_pending_project ON audit_pending (project_id, event_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE audit_pending;');
}
