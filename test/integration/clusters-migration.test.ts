import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer } from '../../src/main';
import { MIGRATIONS_DIR, migrateLatest, migrationStatus, openDatabase } from '../../src/store/database';
import { defaultBackend } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/test-server';

const CLUSTERS_MIGRATION = '20261206040000_clusters.js';

describe('migrations: clusters registered from existing policies; MIGRATE_ON_START=false on an unmigrated database', function () {
  this.timeout(120_000);

  it('registers every cluster existing policies name, so that they stay valid under the new foreign key', async () => {
    const knex = openDatabase({ url: await defaultBackend().createDatabase(), poolMax: 2 });
    try {
      // Migrate up to (not including) the clusters migration, as a database of the previous release is.
      for (;;) {
        const { pending } = await migrationStatus(knex);
        if (pending[0] === CLUSTERS_MIGRATION) break;
        await knex.migrate.up({ directory: MIGRATIONS_DIR, loadExtensions: ['.js'] });
      }
      const now = new Date();
      await knex('projects').insert([
        { project_id: 'a', create_time: now },
        { project_id: 'b', create_time: now },
      ]);
      const policy = (project_id: string, policy_id: string, cluster: string) => ({
        project_id,
        policy_id,
        cluster,
        namespaces: ['default'],
        enabled: true,
        revision: 1,
        body: JSON.stringify({ witnesses: [], cluster }),
        create_time: now,
        update_time: now,
      });
      await knex('policies').insert([
        policy('a', 'p1', 'prod'),
        policy('a', 'p2', 'prod'),
        policy('a', 'p3', 'Prod.EU_1'),
        policy('b', 'p1', 'c1'),
      ]);
      expect(await migrateLatest(knex)).to.include(CLUSTERS_MIGRATION);
      const clusters = await knex('clusters').select('project_id', 'cluster_id', 'revision').orderBy(['project_id', 'cluster_id']);
      expect(clusters).to.deep.equal([
        { project_id: 'a', cluster_id: 'Prod.EU_1', revision: '1' },
        { project_id: 'a', cluster_id: 'prod', revision: '1' },
        { project_id: 'b', cluster_id: 'c1', revision: '1' },
      ]);
      const refused = await knex('policies')
        .insert(policy('a', 'p4', 'typo'))
        .then(
          () => undefined,
          (e: { code?: string }) => e.code,
        );
      expect(refused, 'a policy naming an unregistered cluster').to.equal('23503');
    } finally {
      await knex.destroy();
    }
  });

  it('MIGRATE_ON_START=false on a database without the schema stops with "run `attestd migrate`", not an SQL error', async () => {
    const config = loadConfig({
      DATABASE_URL: await defaultBackend().createDatabase(),
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      MIGRATE_ON_START: 'false',
    });
    const err = await startServer(config, silentLogger()).then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.message).to.match(/^the database has no attestd schema and MIGRATE_ON_START is false: run `attestd migrate`/);
  });
});
