import { expect } from 'chai';
import { defaultBackend } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const IMAGE = '127.0.0.1:5000/ns/app@sha256:' + 'c'.repeat(64);

/** Project p with a key, its witness, cluster c1 and an enabled policy requiring the witness in "default". */
async function enforcedProject(server: TestServer): Promise<void> {
  await call(server, 'POST', '/v1/projects', { name: 'projects/p' });
  await call(server, 'POST', '/v1/projects/p/keys?keyId=k', { keySpec: 'EC_P256' });
  await call(server, 'POST', '/v1/projects/p/witnesses?witnessId=w', { key: 'projects/p/keys/k' });
  await call(server, 'POST', '/v1/projects/p/clusters?clusterId=c1', {});
  await call(server, 'POST', '/v1/projects/p/policies?policyId=pol', {
    witnesses: ['projects/p/witnesses/w'],
    cluster: 'c1',
    namespaces: ['default'],
    enabled: true,
  });
}

/** A REST call as the server's admin that must answer 200; its JSON body. */
async function call(server: TestServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).to.equal(200);
  return json;
}

// Two replicas on one database: a change answered by one reaches the other's verdict cache through
// Postgres NOTIFY (ADR 0008), without a restart and without waiting for cache lifetimes.
describe('verdict caches across replicas', function () {
  this.timeout(120000);
  let a: TestServer;
  let b: TestServer;

  const verdict = async (server: TestServer) =>
    (await call(server, 'POST', '/v1/projects/p:verifyImages', { cluster: 'c1', namespace: 'default', images: [IMAGE] })).results[0];

  /** Polls replica `server` until its verdict is `want` (bounded): NOTIFY is asynchronous. */
  async function eventually(server: TestServer, want: boolean): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < 3000) {
      if ((await verdict(server)).allowed === want) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`replica still answers allowed=${!want} after 3 s (below the 5 s lifetime of cached denials)`);
  }

  before(async () => {
    const url = await defaultBackend().createDatabase();
    a = await startTestServer({ databaseUrl: url });
    b = await startTestServer({ databaseUrl: url });
    await enforcedProject(a);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('an attestation made on one replica admits on the other, and disabling the key there denies again', async () => {
    await eventually(b, false); // cached denial on b
    expect((await verdict(b)).reason).to.equal('NOT_ATTESTED');
    await call(a, 'POST', '/v1/projects/p/witnesses/w:attest', { image: IMAGE });
    await eventually(b, true);
    await call(a, 'POST', '/v1/projects/p/keys/k:disable', {});
    await eventually(b, false);
    expect((await verdict(b)).reason).to.equal('DISABLED_KEY');
  });

  it('a policy disabled on one replica applies at once on that replica and soon on the other', async () => {
    expect((await verdict(a)).allowed).to.equal(false);
    await call(a, 'PATCH', '/v1/projects/p/policies/pol', { enabled: false });
    expect((await verdict(a)).reason).to.equal('NO_POLICY'); // the very next call on the replica that answered
    await eventually(b, true);
    expect((await verdict(b)).reason).to.equal('NO_POLICY');
  });
});

// Without the verdict cache, a replica still caches policies, witnesses and keys on the project's change stamp,
// read after each review arrives: a change answered by another replica applies to the very next review.
describe('policies, witnesses and keys cached without the verdict cache, across replicas', function () {
  this.timeout(120000);
  let a: TestServer;
  let b: TestServer;

  const reason = async (server: TestServer): Promise<string> =>
    (await call(server, 'POST', '/v1/projects/p:verifyImages', { cluster: 'c1', namespace: 'default', images: [IMAGE] })).results[0].reason;

  before(async () => {
    const url = await defaultBackend().createDatabase();
    a = await startTestServer({ databaseUrl: url, env: { VERDICT_CACHE: 'false' } });
    b = await startTestServer({ databaseUrl: url, env: { VERDICT_CACHE: 'false' } });
    await enforcedProject(a);
    await call(a, 'POST', '/v1/projects/p/witnesses/w:attest', { image: IMAGE });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('a key disabled and enabled, then a policy disabled, on one replica apply to the very next review on the other', async () => {
    expect(await reason(b)).to.equal('ATTESTED');
    expect(await reason(b)).to.equal('ATTESTED');
    await call(a, 'POST', '/v1/projects/p/keys/k:disable', {});
    expect(await reason(b)).to.equal('DISABLED_KEY');
    expect(await reason(b)).to.equal('DISABLED_KEY');
    await call(a, 'POST', '/v1/projects/p/keys/k:enable', {});
    expect(await reason(b)).to.equal('ATTESTED');
    await call(a, 'PATCH', '/v1/projects/p/policies/pol', { enabled: false });
    expect(await reason(b)).to.equal('NO_POLICY');
  });
});
