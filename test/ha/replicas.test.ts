import { expect } from 'chai';
import knexFactory from 'knex';
import { ANCHOR_FILE } from '../../src/audit/audit-anchors';
import { ReplicaProcess } from '../support/replica-process';
import { haproxyInstalled, startHaproxy, type Haproxy } from '../support/haproxy';
import { restCall, type RestReply } from '../support/rest-call';
import { runAttestd } from '../support/run-attestd';
import { defaultBackend } from '../support/test-database';
import { testToken } from '../support/test-server';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Two `attestd serve` processes on one database behind haproxy (round robin per request), as a
// platform team runs replicas: both start at once on an empty database (their migrations take turns),
// writes through both interleave into one intact audit chain, a page token from one works on the other,
// a change answered by one applies to the very next review through the other, and registry events
// delivered while both hook workers run are signed exactly once.

const P = 'ha';
const NOTE = `projects/${P}/notes/n`;
const IMAGE = `127.0.0.1:5000/ha/app@sha256:${'d'.repeat(64)}`;
const admin = testToken();

describe('two attestd replicas behind haproxy', function () {
  this.timeout(300_000);
  let dir: string;
  let a: ReplicaProcess;
  let b: ReplicaProcess;
  let lb: Haproxy | undefined;
  let databaseUrl: string;
  const url: Record<'a' | 'b' | 'lb', string> = { a: '', b: '', lb: '' };

  const call = (where: 'a' | 'b' | 'lb', method: string, p: string, body?: unknown): Promise<RestReply> =>
    restCall(url[where], admin, method, p, body, { timeoutMs: 60_000 });
  const ok = async (where: 'a' | 'b' | 'lb', method: string, p: string, body?: unknown) => {
    const r = await call(where, method, p, body);
    expect(r.status, `${method} ${p} via ${where}: ${JSON.stringify(r.body)}`).to.equal(200);
    return r.body;
  };

  before(async function () {
    if (!haproxyInstalled()) {
      if (process.env.CI === 'true') throw new Error('haproxy is not installed (.ci/run installs Debian haproxy)');
      console.warn('\n*** SKIPPING the replica tests: haproxy is not installed (apt-get install haproxy) ***\n');
      this.skip();
    }
    databaseUrl = await defaultBackend().createDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-replicas-'));
    // Replicas share the master key (keys are sealed under it) and the token secret; each has its own DATA_DIR.
    const masterKey = crypto.randomBytes(32).toString('base64');
    const env = (name: string) => ({ DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, name), MASTER_KEY: masterKey });
    // Both start at the same moment on an empty database: their migrations must take turns, not fail.
    a = new ReplicaProcess(env('a'));
    b = new ReplicaProcess(env('b'));
    const [pa, pb] = await Promise.all([a.ready, b.ready]);
    url.a = `http://127.0.0.1:${pa.httpPort}`;
    url.b = `http://127.0.0.1:${pb.httpPort}`;
    lb = await startHaproxy({
      mode: 'http',
      servers: [
        { name: 'a', port: pa.httpPort },
        { name: 'b', port: pb.httpPort },
      ],
    });
    url.lb = `http://127.0.0.1:${lb.port}`;
    await ok('lb', 'POST', '/v1/projects', { name: `projects/${P}` });
    await ok('lb', 'POST', `/v1/projects/${P}/notes?noteId=n`, { attestation: { hint: { humanReadableName: 'n' } } });
  });

  after(async () => {
    await lb?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('both replicas started at once on an empty database, and each migration was applied once', async () => {
    expect((await call('a', 'GET', '/readyz')).status).to.equal(200);
    expect((await call('b', 'GET', '/readyz')).status).to.equal(200);
    const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
    try {
      const rows: Array<{ name: string }> = await db('knex_migrations').select('name');
      expect(rows.length).to.be.greaterThan(5);
      expect(new Set(rows.map((r) => r.name)).size).to.equal(rows.length);
    } finally {
      await db.destroy();
    }
  });

  it('writes through both replicas interleave into one intact audit chain', async () => {
    const writes = Array.from({ length: 60 }, (_, i) =>
      ok(i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : 'lb', 'POST', `/v1/projects/${P}/occurrences`, {
        noteName: NOTE,
        resourceUri: `https://r/ha/w${i}@sha256:${i.toString(16).padStart(64, '0')}`,
        attestation: { serializedPayload: 'aGk=', signatures: [{ signature: 'c2ln', publicKeyId: 'k' }] },
      }),
    );
    const created = await Promise.all(writes);
    expect(new Set(created.map((o) => o.name)).size).to.equal(60);
    // Both replicas chained events of the one project: the chain is one sequence, each link intact.
    const events = await ok('b', 'GET', `/v1/projects/${P}/auditEvents?pageSize=1000`);
    const creates = (events.auditEvents as Array<{ method: string }>).filter((e) => /CreateOccurrence/.test(e.method));
    expect(creates).to.have.length(60);
    for (const anchors of ['a', 'b']) {
      const run = await runAttestd(['audit', 'verify', '--anchors', path.join(dir, anchors, ANCHOR_FILE)], {
        DATABASE_URL: databaseUrl,
        DATA_DIR: path.join(dir, 'verify'),
      });
      expect(run.code, `${run.stdout}${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(/^ok: /);
    }
  });

  it('a page token issued by one replica works on the other', async () => {
    const first = await ok('a', 'GET', `/v1/projects/${P}/occurrences?pageSize=7`);
    expect(first.occurrences).to.have.length(7);
    const seen = new Set<string>(first.occurrences.map((o: { name: string }) => o.name));
    let token: string = first.nextPageToken;
    for (let i = 0; token; i++) {
      const page = await ok(
        i % 2 === 0 ? 'b' : 'a',
        'GET',
        `/v1/projects/${P}/occurrences?pageSize=7&pageToken=${encodeURIComponent(token)}`,
      );
      for (const o of page.occurrences) seen.add(o.name);
      token = page.nextPageToken ?? '';
    }
    expect(seen.size).to.equal(60);
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
    // Round after round, each replica caches a verdict, the other answers a change, the cached one is asked at once.
    for (let round = 0; round < 5; round++) {
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
    expect(await verdict('b')).to.include({ allowed: true }); // cached allow on b
    await ok('a', 'POST', `/v1/projects/${P}/keys/k:disable`, {});
    expect(await verdict('b')).to.include({ allowed: false, reason: 'DISABLED_KEY' });
  });

  it('registry events delivered to either replica while both hook workers run are signed exactly once', async () => {
    await ok('a', 'POST', `/v1/projects/${P}/keys?keyId=signer`, { keySpec: 'EC_P256' });
    await ok('a', 'POST', `/v1/projects/${P}/witnesses?witnessId=signer`, { key: `projects/${P}/keys/signer` });
    await ok('b', 'POST', `/v1/projects/${P}/signingRules?ruleId=ha`, {
      registry: '127.0.0.1:5000',
      namespace: 'ha',
      witness: `projects/${P}/witnesses/signer`,
      enabled: true,
    });
    const attestor = testToken({ [P]: ['attestor'] }, 'registry-notifier');
    const images = Array.from({ length: 40 }, (_, i) => `127.0.0.1:5000/ha/push${i}@sha256:${(1000 + i).toString(16).padStart(64, 'e')}`);
    // Each event is delivered to one replica and redelivered (the registry retried) through the balancer.
    const replies = await Promise.all(
      images.flatMap((image, i) => [
        restCall(url[i % 2 === 0 ? 'a' : 'b'], attestor, 'POST', `/v1/projects/${P}/hooks/generic`, { images: [image] }),
        restCall(url.lb, attestor, 'POST', `/v1/projects/${P}/hooks/generic`, { images: [image] }),
      ]),
    );
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(replies.reduce((n, r) => n + Number(r.body.accepted ?? 0), 0)).to.equal(images.length);
    const signedOf = async (image: string) => {
      const filter = encodeURIComponent(`resourceUri = "https://${image}"`);
      return (await ok('lb', 'GET', `/v1/projects/${P}/occurrences?filter=${filter}`)).occurrences ?? [];
    };
    const deadline = Date.now() + 120_000;
    for (const image of images) {
      while ((await signedOf(image)).length === 0) {
        if (Date.now() > deadline) {
          const events = await ok(
            'lb',
            'GET',
            `/v1/projects/${P}/hookEvents?pageSize=5&filter=${encodeURIComponent('status != "SIGNED"')}`,
          );
          throw new Error(
            `${image} was not signed within 120 s: ${JSON.stringify(events)}\n${a
              .entries(/hook|sign/)
              .slice(-5)
              .join('\n')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    // Let both workers run a while longer: nothing is signed twice.
    await new Promise((r) => setTimeout(r, 2000));
    for (const image of images) expect(await signedOf(image), image).to.have.length(1);
    const signedBy = (p: ReplicaProcess) => p.entries(/registry push signed/).length;
    expect(signedBy(a) + signedBy(b)).to.equal(images.length);
  });
});
