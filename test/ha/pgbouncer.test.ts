import { expect } from 'chai';
import pg from 'pg';
import { ANCHOR_FILE } from '../../src/audit/audit-anchors';
import { ReplicaProcess } from '../support/replica-process';
import { pgbouncerInstalled, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { restCall, type RestReply } from '../support/rest-call';
import { runAttestd } from '../support/run-attestd';
import { defaultBackend } from '../support/test-database';
import { testToken } from '../support/test-server';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Two `attestd serve` processes whose DATABASE_URL is a pgbouncer in transaction pooling mode (three server
// connections for both), as platforms that pool connections run it; what needs a session of its own (the
// change notifications' LISTEN, the migration lock) goes to DATABASE_DIRECT_URL. Writes, listings with page
// tokens, the audit chain, registry hook signing and a change answered by one replica applying to the next
// review through the other all work through the pooler.

const P = 'pool';
const NOTE = `projects/${P}/notes/n`;
const IMAGE = `127.0.0.1:5000/pool/app@sha256:${'c'.repeat(64)}`;
const POOL_SIZE = 3;
const admin = testToken();

/** One simple-protocol query (the pgbouncer admin console takes no other). */
async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('attestd behind pgbouncer in transaction pooling mode', function () {
  this.timeout(300_000);
  let dir: string;
  let bouncer: Pgbouncer | undefined;
  let a: ReplicaProcess | undefined;
  let b: ReplicaProcess | undefined;
  let directUrl: string;
  let pooledUrl: string;
  const url: Record<'a' | 'b', string> = { a: '', b: '' };

  const ok = async (where: 'a' | 'b', method: string, p: string, body?: unknown): Promise<RestReply['body']> => {
    const r = await restCall(url[where], admin, method, p, body, { timeoutMs: 60_000 });
    expect(r.status, `${method} ${p} via ${where}: ${JSON.stringify(r.body)}`).to.equal(200);
    return r.body;
  };

  before(async function () {
    if (!pgbouncerInstalled()) {
      if (process.env.CI === 'true') throw new Error('pgbouncer is not installed (.ci/run installs Debian pgbouncer)');
      console.warn('\n*** SKIPPING the pgbouncer tests: pgbouncer is not installed (apt-get install pgbouncer) ***\n');
      this.skip();
    }
    directUrl = await defaultBackend().createDatabase();
    bouncer = await startPgbouncer(directUrl, POOL_SIZE);
    pooledUrl = bouncer.url(directUrl);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-pgbouncer-test-'));
    const masterKey = crypto.randomBytes(32).toString('base64');
    const env = (name: string) => ({
      DATABASE_URL: pooledUrl,
      DATABASE_DIRECT_URL: directUrl,
      DATA_DIR: path.join(dir, name),
      MASTER_KEY: masterKey,
    });
    // Both start at once on an empty database: migrations run through the pooler under the direct lock.
    a = new ReplicaProcess(env('a'));
    b = new ReplicaProcess(env('b'));
    const [pa, pb] = await Promise.all([a.ready, b.ready]);
    url.a = `http://127.0.0.1:${pa.httpPort}`;
    url.b = `http://127.0.0.1:${pb.httpPort}`;
    await ok('a', 'POST', '/v1/projects', { name: `projects/${P}` });
    await ok('b', 'POST', `/v1/projects/${P}/notes?noteId=n`, { attestation: { hint: { humanReadableName: 'n' } } });
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await bouncer?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without DATABASE_DIRECT_URL, start-up stops at once with one line naming it', async () => {
    const run = await runAttestd(['migrate'], { DATABASE_URL: pooledUrl, DATA_DIR: path.join(dir, 'nodirect') });
    expect(run.code).to.not.equal(0);
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.match(/DATABASE_URL: .*unsupported startup parameter.*set DATABASE_DIRECT_URL/);
  });

  it('writes through both replicas share three server connections and read back in pages across replicas', async () => {
    const created = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        ok(i % 2 === 0 ? 'a' : 'b', 'POST', `/v1/projects/${P}/occurrences`, {
          noteName: NOTE,
          resourceUri: `https://r/pool/w${i}@sha256:${i.toString(16).padStart(64, '0')}`,
          attestation: { serializedPayload: 'aGk=', signatures: [{ signature: 'c2ln', publicKeyId: 'k' }] },
        }),
      ),
    );
    expect(new Set(created.map((o) => o.name)).size).to.equal(60);
    // The pooler multiplexed both replicas' connections onto at most POOL_SIZE server connections.
    const database = new URL(directUrl).pathname.slice(1);
    const pools = await query<Record<string, string>>(bouncer!.adminUrl, 'SHOW POOLS');
    const pool = pools.find((p) => p.database === database)!;
    expect(pool.pool_mode).to.equal('transaction');
    const servers = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce((n, k) => n + Number(pool[k] ?? 0), 0);
    expect(servers).to.be.at.most(POOL_SIZE);
    expect(Number(pool.cl_active) + Number(pool.cl_waiting)).to.be.greaterThan(POOL_SIZE);

    const seen = new Set<string>();
    let token = '';
    for (let i = 0; i === 0 || token; i++) {
      const page = await ok(
        i % 2 === 0 ? 'a' : 'b',
        'GET',
        `/v1/projects/${P}/occurrences?pageSize=7${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`,
      );
      for (const o of page.occurrences as Array<{ name: string }>) seen.add(o.name);
      token = page.nextPageToken ?? '';
    }
    expect(seen.size).to.equal(60);

    for (const anchors of ['a', 'b']) {
      const run = await runAttestd(['audit', 'verify', '--anchors', path.join(dir, anchors, ANCHOR_FILE)], {
        DATABASE_URL: pooledUrl,
        DATABASE_DIRECT_URL: directUrl,
        DATA_DIR: path.join(dir, 'verify'),
      });
      expect(run.code, `${run.stdout}${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(/^ok: /);
    }
  });

  it('each replica listens for changes on a direct session of its own', async () => {
    const database = new URL(directUrl).pathname.slice(1);
    const listeners = await query<{ client_port: number }>(
      directUrl,
      `SELECT client_port FROM pg_stat_activity WHERE datname = '${database}' AND query = 'LISTEN attestd_changes'`,
    );
    // At least one per replica (one per worker process with WORKERS > 1), none of them a pgbouncer server connection.
    expect(listeners.length).to.be.at.least(2);
    const servers = await query<{ local_port: string }>(bouncer!.adminUrl, 'SHOW SERVERS');
    const pooled = new Set(servers.map((s) => Number(s.local_port)));
    expect(servers.length).to.be.greaterThan(0);
    expect(listeners.filter((l) => pooled.has(l.client_port))).to.deep.equal([]);
    for (const r of [a!, b!]) expect(r.entries(/change notifications lost/)).to.deep.equal([]);
  });

  it('a change answered by one replica applies to the very next review through the other', async () => {
    await ok('a', 'POST', `/v1/projects/${P}/keys?keyId=k`, { keySpec: 'EC_P256' });
    await ok('a', 'POST', `/v1/projects/${P}/witnesses?witnessId=w`, { key: `projects/${P}/keys/k` });
    await ok('a', 'POST', `/v1/projects/${P}/clusters?clusterId=c1`, {});
    await ok('a', 'POST', `/v1/projects/${P}/policies?policyId=pol`, {
      witnesses: [`projects/${P}/witnesses/w`],
      cluster: 'c1',
      namespaces: ['default'],
      enabled: true,
    });
    const verdict = async (where: 'a' | 'b') =>
      (await ok(where, 'POST', `/v1/projects/${P}:verifyImages`, { cluster: 'c1', namespace: 'default', images: [IMAGE] })).results[0];
    for (let round = 0; round < 3; round++) {
      const [writer, reader] = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      expect((await verdict(reader)).allowed, `round ${round}: denied before`).to.equal(false);
      expect((await verdict(reader)).allowed).to.equal(false); // now cached
      await ok(writer, 'PATCH', `/v1/projects/${P}/policies/pol`, { enabled: false });
      expect(await verdict(reader), `round ${round}: disabled on ${writer}`).to.include({ allowed: true, reason: 'NO_POLICY' });
      await ok(writer, 'PATCH', `/v1/projects/${P}/policies/pol`, { enabled: true });
      expect(await verdict(reader), `round ${round}: enabled again on ${writer}`).to.include({ allowed: false });
    }
    await ok('a', 'POST', `/v1/projects/${P}/witnesses/w:attest`, { image: IMAGE });
    expect(await verdict('b')).to.include({ allowed: true, reason: 'ATTESTED' });
  });

  it('registry events delivered to either replica are signed exactly once', async () => {
    await ok('a', 'POST', `/v1/projects/${P}/keys?keyId=signer`, { keySpec: 'EC_P256' });
    await ok('a', 'POST', `/v1/projects/${P}/witnesses?witnessId=signer`, { key: `projects/${P}/keys/signer` });
    await ok('b', 'POST', `/v1/projects/${P}/signingRules?ruleId=pool`, {
      registry: '127.0.0.1:5000',
      namespace: 'pool',
      witness: `projects/${P}/witnesses/signer`,
      enabled: true,
    });
    const attestor = testToken({ [P]: ['attestor'] }, 'registry-notifier');
    const images = Array.from({ length: 20 }, (_, i) => `127.0.0.1:5000/pool/push${i}@sha256:${(2000 + i).toString(16).padStart(64, 'e')}`);
    // Each event reaches both replicas (the registry retried it on the other).
    const replies = await Promise.all(
      images.flatMap((image) =>
        (['a', 'b'] as const).map((where) =>
          restCall(url[where], attestor, 'POST', `/v1/projects/${P}/hooks/generic`, { images: [image] }),
        ),
      ),
    );
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(replies.reduce((n, r) => n + Number(r.body.accepted ?? 0), 0)).to.equal(images.length);
    const signedOf = async (image: string) => {
      const filter = encodeURIComponent(`resourceUri = "https://${image}"`);
      return ((await ok('a', 'GET', `/v1/projects/${P}/occurrences?filter=${filter}`)).occurrences ?? []) as unknown[];
    };
    const deadline = Date.now() + 120_000;
    for (const image of images) {
      while ((await signedOf(image)).length === 0) {
        if (Date.now() > deadline)
          throw new Error(
            `${image} was not signed within 120 s:\n${a!
              .entries(/hook|sign/)
              .slice(-5)
              .join('\n')}`,
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await new Promise((r) => setTimeout(r, 2000));
    for (const image of images) expect(await signedOf(image), image).to.have.length(1);
  });
});
