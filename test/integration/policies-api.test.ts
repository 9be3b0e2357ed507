import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import { ApiClient, POLICIES, rpc, tempDir, TRANSPORTS, type Rpc, type Transport } from '../support/api-client';
import { startTestServer, type TestServer } from '../support/test-server';

// Security policies over REST and gRPC: defaults, validation, masked updates, revisions, delete.

const createPolicy = (id: string, policy: Record<string, unknown>): Rpc =>
  rpc(
    ['POST', `/v1/projects/{p}/policies?policyId=${id}`, policy],
    [POLICIES, 'CreatePolicy', { parent: 'projects/{p}', policyId: id, policy }],
  );
const getPolicy = (id: string): Rpc =>
  rpc(['GET', `/v1/projects/{p}/policies/${id}`], [POLICIES, 'GetPolicy', { name: `projects/{p}/policies/${id}` }]);
const updatePolicy = (id: string, policy: Record<string, unknown>, mask?: string[]): Rpc =>
  rpc(
    ['PATCH', `/v1/projects/{p}/policies/${id}${mask ? `?updateMask=${mask.join(',')}` : ''}`, policy],
    [POLICIES, 'UpdatePolicy', { name: `projects/{p}/policies/${id}`, policy, ...(mask ? { updateMask: { paths: mask } } : {}) }],
  );

describe('policies API over REST and gRPC', function () {
  this.timeout(60000);
  let server: TestServer;
  let api: ApiClient;
  let dataDir: string;
  const projectOf = (t: Transport): string => `pol-${t}`;

  before(async () => {
    dataDir = tempDir('attestd-policies-');
    server = await startTestServer({ env: { DATA_DIR: dataDir, MASTER_KEY: crypto.randomBytes(32).toString('base64') } });
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      await api.must('POST', `/v1/projects/${p}/keys?keyId=k`, { keySpec: 'EC_P256' });
      for (const w of ['w1', 'w2']) await api.must('POST', `/v1/projects/${p}/witnesses?witnessId=${w}`, { key: `projects/${p}/keys/k` });
      for (const c of ['c1', 'prod.eu-1']) await api.must('POST', `/v1/projects/${p}/clusters?clusterId=${c}`, {});
    }
    await api.must('POST', '/v1/projects', { name: 'projects/pol-other' });
    await api.must('POST', '/v1/projects/pol-other/keys?keyId=k', { keySpec: 'EC_P256' });
    await api.must('POST', '/v1/projects/pol-other/witnesses?witnessId=w1', { key: 'projects/pol-other/keys/k' });
  });
  after(async () => {
    api?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const t of TRANSPORTS) {
    describe(t, () => {
      const p = projectOf(t);
      const W1 = `projects/${p}/witnesses/w1`;
      const W2 = `projects/${p}/witnesses/w2`;
      const call = (r: Rpc) => api.call(t, r, p);
      const ok = async (r: Rpc) => {
        const got = await call(r);
        expect(got.code, got.message).to.equal('OK');
        return got.body;
      };

      it('create: disabled and ENFORCE by default, all witnesses required, revision 1', async () => {
        const body = await ok(createPolicy('defaults', { witnesses: [W1], cluster: 'c1', namespaces: ['default'], note: 'free text' }));
        expect(body).to.include({ name: `projects/${p}/policies/defaults`, cluster: 'c1', note: 'free text', enforcement: 'ENFORCE' });
        expect(body.enabled ?? false).to.equal(false);
        expect(body.breakglassAllowed ?? false).to.equal(false);
        expect(Number(body.requiredWitnesses ?? 0)).to.equal(0);
        expect(String(body.revision)).to.equal('1');
        expect(body.witnesses).to.deep.equal([W1]);
        expect(body.namespaces).to.deep.equal(['default']);
        const got = await ok(getPolicy('defaults'));
        expect(got.name).to.equal(body.name);
        const list = await ok(rpc(['GET', '/v1/projects/{p}/policies'], [POLICIES, 'ListPolicies', { parent: 'projects/{p}' }]));
        expect(list.policies.map((x: { name: string }) => x.name)).to.include(body.name);
      });

      it('create with everything set: enabled, DRY_RUN, 1 of 2, allowlist, break-glass', async () => {
        const body = await ok(
          createPolicy('full', {
            witnesses: [W1, W2],
            cluster: 'prod.eu-1',
            namespaces: ['team-a', 'team-b'],
            enabled: true,
            enforcement: 'DRY_RUN',
            requiredWitnesses: 1,
            allowlist: ['registry.k8s.io/pause*', 'gcr.io/my-project/**'],
            breakglassAllowed: true,
          }),
        );
        expect(body).to.include({ enabled: true, enforcement: 'DRY_RUN', breakglassAllowed: true, cluster: 'prod.eu-1' });
        expect(Number(body.requiredWitnesses)).to.equal(1);
        expect(body.allowlist).to.deep.equal(['registry.k8s.io/pause*', 'gcr.io/my-project/**']);
      });

      it('validation table: nothing is created', async () => {
        const base = { witnesses: [W1], cluster: 'c1', namespaces: ['default'] };
        const cases: Array<{ desc: string; id?: string; policy: Record<string, unknown>; wantCode: string; wantMessage?: RegExp }> = [
          {
            desc: 'missing witness',
            policy: { ...base, witnesses: [W1, `projects/${p}/witnesses/ghost`] },
            wantCode: 'NOT_FOUND',
            wantMessage: /ghost/,
          },
          { desc: 'no witnesses', policy: { ...base, witnesses: [] }, wantCode: 'INVALID_ARGUMENT', wantMessage: /witnesses/ },
          {
            desc: 'malformed witness name',
            policy: { ...base, witnesses: ['w1'] },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /witnesses\[0\]/,
          },
          {
            desc: "another project's witness",
            policy: { ...base, witnesses: ['projects/pol-other/witnesses/w1'] },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /another project/,
          },
          { desc: 'missing cluster', policy: { ...base, cluster: '' }, wantCode: 'INVALID_ARGUMENT', wantMessage: /cluster/ },
          { desc: 'bad cluster', policy: { ...base, cluster: 'c 1' }, wantCode: 'INVALID_ARGUMENT', wantMessage: /cluster/ },
          { desc: 'no namespaces', policy: { ...base, namespaces: [] }, wantCode: 'INVALID_ARGUMENT', wantMessage: /namespaces/ },
          {
            desc: 'uppercase namespace',
            policy: { ...base, namespaces: ['Default'] },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /DNS label/,
          },
          {
            desc: 'namespace ending in -',
            policy: { ...base, namespaces: ['team-'] },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /namespaces\[0\]/,
          },
          { desc: 'namespace of 64 characters', policy: { ...base, namespaces: ['a'.repeat(64)] }, wantCode: 'INVALID_ARGUMENT' },
          {
            desc: 'requiredWitnesses above the count',
            policy: { ...base, requiredWitnesses: 2 },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /requiredWitnesses/,
          },
          {
            desc: 'negative requiredWitnesses',
            policy: { ...base, requiredWitnesses: -1 },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /requiredWitnesses/,
          },
          {
            desc: 'allowlist with spaces',
            policy: { ...base, allowlist: ['gcr.io/a b'] },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /allowlist\[0\]/,
          },
          {
            desc: 'allowlist with ***',
            policy: { ...base, allowlist: ['gcr.io/***'] },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /allowlist\[0\]/,
          },
          {
            desc: 'note above 4096 characters',
            policy: { ...base, note: 'x'.repeat(4097) },
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /note/,
          },
          { desc: 'bad policy id', id: '-bad', policy: base, wantCode: 'INVALID_ARGUMENT', wantMessage: /policyId/ },
          { desc: 'duplicate id', id: 'defaults', policy: base, wantCode: 'ALREADY_EXISTS' },
        ];
        for (const [i, c] of cases.entries()) {
          const id = c.id ?? `invalid-${i}`;
          const got = await call(createPolicy(id, c.policy));
          expect(got.code, `${c.desc}: ${got.message}`).to.equal(c.wantCode);
          if (c.wantMessage) expect(got.message, c.desc).to.match(c.wantMessage);
          if (!c.id) expect((await call(getPolicy(id))).code, `${c.desc}: nothing created`).to.equal('NOT_FOUND');
        }
      });

      it('update: the mask decides what changes; every change moves the revision; refused updates change nothing', async () => {
        await ok(createPolicy('upd', { witnesses: [W1], cluster: 'c1', namespaces: ['default'], note: 'keep' }));
        const enabled = await ok(updatePolicy('upd', { enabled: true, note: 'not in mask', cluster: 'c9' }, ['enabled']));
        expect(enabled).to.include({ enabled: true, note: 'keep', cluster: 'c1' });
        expect(String(enabled.revision)).to.equal('2');
        const implied = await ok(updatePolicy('upd', { witnesses: [W1, W2], requiredWitnesses: 1 }));
        expect(implied.witnesses).to.deep.equal([W1, W2]);
        expect(Number(implied.requiredWitnesses)).to.equal(1);
        expect(implied.enabled).to.equal(true);
        expect(String(implied.revision)).to.equal('3');
        const refused = await call(updatePolicy('upd', { namespaces: ['Bad_NS'] }, ['namespaces']));
        expect(refused.code).to.equal('INVALID_ARGUMENT');
        const missingWitness = await call(updatePolicy('upd', { witnesses: [`projects/${p}/witnesses/ghost`] }, ['witnesses']));
        expect(missingWitness.code).to.equal('NOT_FOUND');
        const immutable = await call(updatePolicy('upd', { revision: '99' }, ['revision']));
        expect(immutable.code).to.equal('INVALID_ARGUMENT');
        const now = await ok(getPolicy('upd'));
        expect(String(now.revision)).to.equal('3');
        expect(now.namespaces).to.deep.equal(['default']);
        expect((await call(updatePolicy('ghost', { enabled: true }, ['enabled']))).code).to.equal('NOT_FOUND');
      });

      it('delete: gone afterwards; deleting again is NOT_FOUND', async () => {
        await ok(createPolicy('del', { witnesses: [W2], cluster: 'c1', namespaces: ['default'] }));
        const del = rpc(['DELETE', '/v1/projects/{p}/policies/del'], [POLICIES, 'DeletePolicy', { name: 'projects/{p}/policies/del' }]);
        await ok(del);
        expect((await call(getPolicy('del'))).code).to.equal('NOT_FOUND');
        expect((await call(del)).code).to.equal('NOT_FOUND');
      });
    });
  }
});
