import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server';

const DIGEST = 'sha256:' + 'a'.repeat(64);

// Deleting a project: refused while it holds anything, complete with force=true, never leaving orphans.
describe('DeleteProject', function () {
  this.timeout(120000);
  let server: TestServer;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  async function populate(p: string): Promise<void> {
    for (const [path, body] of [
      ['/v1/projects', { name: `projects/${p}` }],
      [`/v1/projects/${p}/keys?keyId=k`, { keySpec: 'EC_P256' }],
      [`/v1/projects/${p}/witnesses?witnessId=w`, { key: `projects/${p}/keys/k` }],
      [`/v1/projects/${p}/witnesses/w:attest`, { image: `127.0.0.1:5000/ns/app@${DIGEST}` }],
      [`/v1/projects/${p}/clusters?clusterId=c1`, {}],
      [
        `/v1/projects/${p}/policies?policyId=pol`,
        { witnesses: [`projects/${p}/witnesses/w`], cluster: 'c1', namespaces: ['default'], enabled: true },
      ],
      [
        `/v1/projects/${p}/signingRules?ruleId=r`,
        { registry: '127.0.0.1:5000', namespace: 'ns', witness: `projects/${p}/witnesses/w`, enabled: true },
      ],
      [`/v1/projects/${p}/hooks/generic`, { images: [`127.0.0.1:5000/other/app@${DIGEST}`] }],
      [`/v1/projects/${p}:verifyImages`, { cluster: 'c1', namespace: 'default', images: [`127.0.0.1:5000/ns/app@${DIGEST}`] }],
    ] as const) {
      const r = await call('POST', path, body);
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).to.equal(200);
    }
  }

  it('refuses a project that holds resources, naming them', async () => {
    await populate('full');
    const r = await call('DELETE', '/v1/projects/full');
    expect(r.status).to.equal(400);
    expect(r.body.error.status).to.equal('FAILED_PRECONDITION');
    expect(r.body.error.message).to.match(/1 keys.*1 witnesses.*1 policies.*1 signingRules.*force=true/);
  });

  it('deletes everything with force=true and can be created afresh', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let the buffered decision land first
    const r = await call('DELETE', '/v1/projects/full?force=true');
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect((await call('GET', '/v1/projects/full')).status).to.equal(404);
    await populate('full');
  });

  it("refuses while another project's occurrences use its notes", async () => {
    await call('POST', '/v1/projects', { name: 'projects/provider' });
    await call('POST', '/v1/projects', { name: 'projects/consumer' });
    await call('POST', '/v1/projects/provider/notes?noteId=n', { attestation: {} });
    const occ = await call('POST', '/v1/projects/consumer/occurrences', {
      noteName: 'projects/provider/notes/n',
      resourceUri: 'https://x',
      attestation: {},
    });
    expect(occ.status).to.equal(200);
    const r = await call('DELETE', '/v1/projects/provider?force=true');
    expect(r.status).to.equal(400);
    expect(r.body.error.message).to.contain('in other projects reference its notes');
  });
});
