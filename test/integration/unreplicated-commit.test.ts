import { expect } from 'chai';
import pg from 'pg';
import { debianPostgresBin, PrivateCluster } from '../support/private-cluster';
import { restCall } from '../support/rest-call';
import { startTestServer, type TestServer } from '../support/test-server';

// A commit whose wait for the synchronous standby is cancelled: Postgres answers success (COMMIT) with a
// WARNING "canceling wait for synchronous replication", although no standby has the row and a failover
// would lose it. A private cluster whose synchronous standby never comes makes every commit wait; the test
// cancels that wait as a client-side timeout or an operator would, and the write must answer UNAVAILABLE.

const P = 'syncrep';
const OCCURRENCE = {
  noteName: `projects/${P}/notes/n`,
  resourceUri: `https://r/syncrep@sha256:${'a'.repeat(64)}`,
  attestation: { serializedPayload: 'aGk=', signatures: [{ signature: 'c2ln', publicKeyId: 'k' }] },
};

/** The server's REQUEST_DEADLINE_MS here: what bounds a commit that waits for a standby that never comes. */
const REQUEST_DEADLINE_MS = 5000;

describe('a commit no synchronous standby confirmed', function () {
  this.timeout(180_000);
  let cluster: PrivateCluster | undefined;
  let server: TestServer | undefined;
  let admin: pg.Client | undefined;

  const sql = async <T>(text: string, values: unknown[] = []): Promise<T[]> => (await admin!.query(text, values)).rows as T[];
  const requireSyncStandby = async (names: string) => {
    await sql(`ALTER SYSTEM SET synchronous_standby_names = '${names}'`);
    await sql('SELECT pg_reload_conf()');
  };

  before(async function () {
    const bin = debianPostgresBin();
    if (!bin) {
      if (process.env.CI === 'true') throw new Error('no Debian PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql');
      console.warn('\n*** SKIPPING the unreplicated-commit test: no Debian PostgreSQL binaries ***\n');
      this.skip();
    }
    cluster = await PrivateCluster.create(bin);
    await cluster.start();
    admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    server = await startTestServer({ databaseUrl: cluster.url, env: { REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS) } });
    const call = (p: string, body: unknown) => restCall(server!.baseUrl, server!.adminToken, 'POST', p, body);
    expect((await call('/v1/projects', { name: `projects/${P}` })).status).to.equal(200);
    expect((await call(`/v1/projects/${P}/notes?noteId=n`, { attestation: { hint: { humanReadableName: 'n' } } })).status).to.equal(200);
  });

  after(async () => {
    // Release every commit still waiting, so the server stops cleanly.
    if (admin) await requireSyncStandby('').catch(() => undefined);
    await server?.stop();
    await admin?.end().catch(() => undefined);
    await cluster?.destroy();
  });

  it('answers UNAVAILABLE although Postgres reported success, and says the outcome is unknown', async () => {
    await requireSyncStandby('nobody');
    const reply = restCall(server!.baseUrl, server!.adminToken, 'POST', `/v1/projects/${P}/occurrences`, OCCURRENCE, { timeoutMs: 60_000 });
    // Cancel every wait for the standby until the write answers: its own commit (a lone statement or COMMIT,
    // whichever the write sends), and background commits that wait alongside it.
    let answered = false;
    void reply.finally(() => (answered = true));
    for (let i = 0; !answered; i++) {
      if (i > 300) throw new Error('the write never answered');
      await new Promise((r) => setTimeout(r, 100));
      await sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND application_name = 'attestd'");
    }
    const r = await reply;
    expect(r.status, JSON.stringify(r.body)).to.equal(503);
    expect(r.body.error).to.include({ code: 503, status: 'UNAVAILABLE' });
    expect(r.body.error.message).to.match(/could not confirm that this write reached a synchronous standby; its outcome is unknown/);
    // Postgres did commit it locally (what it answered as success): attestd refused to acknowledge it.
    const rows = await sql<{ n: string }>('SELECT count(*) AS n FROM occurrences WHERE resource_uri = $1', [OCCURRENCE.resourceUri]);
    expect(Number(rows[0]?.n)).to.equal(1);
  });
  it('answers UNAVAILABLE when the deadline passes while the commit waits, saying the write may or may not be stored', async () => {
    await requireSyncStandby('nobody');
    const uri = `https://r/deadline@sha256:${'d'.repeat(64)}`;
    const reply = await restCall(server!.baseUrl, server!.adminToken, 'POST', `/v1/projects/${P}/occurrences`, {
      ...OCCURRENCE,
      resourceUri: uri,
    });
    expect(reply.status, JSON.stringify(reply.body)).to.equal(503);
    expect(reply.body.error).to.include({ code: 503, status: 'UNAVAILABLE' });
    expect(reply.body.error.message).to.equal(
      `the database did not answer within ${REQUEST_DEADLINE_MS} ms (REQUEST_DEADLINE_MS) while committing this write: ` +
        'it may or may not have been stored; read it back before retrying',
    );
    // attestd asked Postgres to cancel the wait: the commit, already in the primary's WAL, ends and becomes
    // visible (a transaction waiting for its standby is still invisible to others): stored, yet never acknowledged.
    for (let i = 0; ; i++) {
      const rows = await sql<{ n: string }>('SELECT count(*) AS n FROM occurrences WHERE resource_uri = $1', [uri]);
      if (Number(rows[0]?.n) === 1) break;
      if (i > 300) throw new Error('the abandoned commit never ended: attestd did not cancel its wait for the standby');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
