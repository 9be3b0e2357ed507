import type { Knex } from 'knex';

// Clusters become a resource (docs/adr/0030-clusters-and-webhook-modes.md): a policy may only name a registered
// cluster, which a foreign key holds. Every cluster existing policies name is registered here (revision 1, the
// default webhook mode), so that no policy is left naming an unregistered one. Admission adapters report in per
// cluster (cluster_adapters: which adapter, its version, when last seen, how many decisions it served).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE clusters (
      project_id  text NOT NULL REFERENCES projects (project_id),
      cluster_id  text NOT NULL,
      revision    bigint NOT NULL,
      body        jsonb NOT NULL,
      create_time timestamptz NOT NULL,
      update_time timestamptz NOT NULL,
      PRIMARY KEY (project_id, cluster_id)
    );
    INSERT INTO clusters (project_id, cluster_id, revision, body, create_time, update_time)
      SELECT DISTINCT project_id, cluster, 1,
             '{"description":"registered when clusters became a resource: named by a policy"}'::jsonb, now(), now()
      FROM policies;
    ALTER TABLE policies ADD CONSTRAINT policies_cluster_fkey
      FOREIGN KEY (project_id, cluster) REFERENCES clusters (project_id, cluster_id);
    CREATE TABLE cluster_adapters (
      project_id       text NOT NULL,
      cluster_id       text NOT NULL,
      adapter          text NOT NULL,
      version          text NOT NULL,
      mode             text NOT NULL,
      first_seen       timestamptz NOT NULL,
      last_seen        timestamptz NOT NULL,
      decisions_served bigint NOT NULL,
      PRIMARY KEY (project_id, cluster_id, adapter),
      FOREIGN KEY (project_id, cluster_id) REFERENCES clusters (project_id, cluster_id) ON DELETE CASCADE
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE cluster_adapters; ALTER TABLE policies DROP CONSTRAINT policies_cluster_fkey; DROP TABLE clusters;');
}
