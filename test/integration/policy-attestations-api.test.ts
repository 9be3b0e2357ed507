import { expect } from 'chai';
import { ApiClient, POLICIES, rpc, TRANSPORTS, VERIFICATION, type Rpc } from '../support/api-client';
import { runAttestd } from '../support/run-attestd';
import { fixtureBytes, fixtureJson, MANIFEST } from '../support/supply-chain-fixtures';
import { startTestServer, type TestServer } from '../support/test-server';

// Policies with attestation requirements over REST, gRPC and the CLI on PostgreSQL: stored and shown as written,
// conditions that do not compile refused at create and patch, and :verifyImages judging the SLSA fixture.

const IMAGE = `${MANIFEST.image.repository}@${MANIFEST.image.digest}`;
const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const BUILDER = 'https://builder.example.com/attestd-fixture-builder@v1';

const createPolicy = (id: string, policy: Record<string, unknown>): Rpc =>
  rpc(
    ['POST', `/v1/projects/{p}/policies?policyId=${id}`, policy],
    [POLICIES, 'CreatePolicy', { parent: 'projects/{p}', policyId: id, policy }],
  );
const getPolicy = (id: string): Rpc =>
  rpc(['GET', `/v1/projects/{p}/policies/${id}`], [POLICIES, 'GetPolicy', { name: `projects/{p}/policies/${id}` }]);
const patchPolicy = (id: string, policy: Record<string, unknown>): Rpc =>
  rpc(
    ['PATCH', `/v1/projects/{p}/policies/${id}?updateMask=attestations`, policy],
    [POLICIES, 'UpdatePolicy', { name: `projects/{p}/policies/${id}`, policy, updateMask: { paths: ['attestations'] } }],
  );
const verify = (namespace: string): Rpc => {
  const body = { cluster: 'c1', namespace, images: [IMAGE] };
  return rpc(['POST', '/v1/projects/{p}:verifyImages', body], [VERIFICATION, 'VerifyImages', { parent: 'projects/{p}', ...body }]);
};

describe('policy attestation requirements over REST, gRPC and the CLI (PostgreSQL)', function () {
  this.timeout(180000);
  let server: TestServer;
  let api: ApiClient;
  const projectOf = (t: string): string => `pa-${t}`;

  before(async () => {
    server = await startTestServer();
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    const publicKeys = [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }];
    for (const p of [...TRANSPORTS.map(projectOf), 'pa-cli']) {
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=c1`, {});
      await api.must('POST', `/v1/projects/${p}/notes?noteId=build`, { build: { builderVersion: 'v1' } });
      await api.must('POST', `/v1/projects/${p}/witnesses?witnessId=ci`, { publicKeys, notes: [`projects/${p}/notes/build`] });
      const build = fixtureJson('grafeas/occurrence-build-slsa-v1.json') as Record<string, unknown>;
      await api.must('POST', `/v1/projects/${p}/occurrences`, { ...build, noteName: `projects/${p}/notes/build` });
    }
  });
  after(async () => {
    api?.close();
    await server?.stop();
  });

  for (const t of TRANSPORTS) {
    describe(t, () => {
      const p = projectOf(t);
      const call = (r: Rpc) => api.call(t, r, p);
      const ok = async (r: Rpc) => {
        const got = await call(r);
        expect(got.code, got.message).to.equal('OK');
        return got.body;
      };
      const requirement = (condition: string) => ({ witness: `projects/${p}/witnesses/ci`, predicateType: SLSA_V1, condition });

      it('stores and shows requirements; refuses a condition that does not compile at create and at patch', async () => {
        const good = requirement(`predicate.runDetails.builder.id == '${BUILDER}'`);
        const created = await ok(createPolicy('built', { cluster: 'c1', namespaces: ['built'], enabled: true, attestations: [good] }));
        expect(created.attestations).to.deep.equal([good]);
        expect(created.witnesses ?? []).to.deep.equal([]);
        expect((await ok(getPolicy('built'))).attestations).to.deep.equal([good]);
        const bad = await call(createPolicy('broken', { cluster: 'c1', namespaces: ['x'], attestations: [requirement('predicate.(')] }));
        expect([bad.code, bad.http]).to.deep.equal(['INVALID_ARGUMENT', 400]);
        expect(bad.message).to.match(/^policy\.attestations\[0\]\.condition does not compile: <input>:1:/);
        expect((await call(getPolicy('broken'))).code).to.equal('NOT_FOUND');
        const patched = await call(patchPolicy('built', { attestations: [requirement('nobody == 1')] }));
        expect(patched.code).to.equal('INVALID_ARGUMENT');
        expect(patched.message).to.contain("undeclared reference to 'nobody'");
        expect((await ok(getPolicy('built'))).revision).to.equal(created.revision);
      });

      it('judges the SLSA fixture at :verifyImages: allowed, and denied with the failing requirement and why', async () => {
        const allowed = (await ok(verify('built'))).results[0];
        expect([allowed.allowed, allowed.reason]).to.deep.equal([true, 'ATTESTED']);
        await ok(
          createPolicy('other', {
            cluster: 'c1',
            namespaces: ['other'],
            enabled: true,
            attestations: [requirement("predicate.runDetails.builder.id == 'https://other.example'")],
          }),
        );
        const denied = (await ok(verify('other'))).results[0];
        expect([denied.allowed, denied.reason, denied.message]).to.deep.equal([
          false,
          'REQUIREMENT_NOT_MET',
          `image ${IMAGE} does not satisfy policy other: no ${SLSA_V1} attestation by witness ci meets its condition (builder.id was '${BUILDER}')`,
        ]);
      });
    });
  }

  it('creates a policy with --attestation from the CLI', async () => {
    const env = { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken, ATTESTD_PROJECT: 'pa-cli' };
    const condition = `predicate.runDetails.builder.id == '${BUILDER}'`;
    const args = ['policies', 'create', 'cli', '--cluster', 'c1', '--namespace', 'cli', '--enable'];
    const r = await runAttestd([...args, '--attestation', `ci ${SLSA_V1} ${condition}`], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).attestations).to.deep.equal([
      { witness: 'projects/pa-cli/witnesses/ci', predicateType: SLSA_V1, condition },
    ]);
    const bad = await runAttestd(
      [...args.slice(0, 2), 'bad', '--cluster', 'c1', '--namespace', 'x', '--attestation', `ci ${SLSA_V1} a.(`],
      env,
    );
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.contain('policy.attestations[0].condition does not compile');
  });
});
