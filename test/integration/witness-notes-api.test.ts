import { expect } from 'chai';
import { ApiClient, POLICIES, rpc, TRANSPORTS, VERIFICATION, WITNESSES, type Rpc } from '../support/api-client';
import { fixtureBytes, fixtureJson, MANIFEST } from '../support/supply-chain-fixtures';
import { startTestServer, type TestServer } from '../support/test-server';

// Witness notes and acceptRawEnvelope over REST and gRPC on PostgreSQL: the fields are stored, shown, patched with
// etags, and the occurrences of listed notes (Google's BUILD provenance, Tekton Chains' BUILD and raw-payload
// ATTESTATION shapes, DSSE_ATTESTATION) count at :verifyImages.

const IMAGE = `${MANIFEST.image.repository}@${MANIFEST.image.digest}`;
const publicKeys = [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }];
const FIXTURES: Array<[file: string, note: string, kind: string]> = [
  ['grafeas/occurrence-build-slsa-v1.json', 'build-42', 'BUILD'],
  ['grafeas/chains-occurrence-build.json', 'tekton-default-taskrun-intoto', 'BUILD'],
  ['grafeas/chains-occurrence-attestation.json', 'tekton-default-simplesigning', 'ATTESTATION'],
  ['grafeas/occurrence-dsse-attestation.json', 'dsse-witness', 'DSSE_ATTESTATION'],
];
const NOTE_BODIES: Record<string, object> = {
  BUILD: { build: { builderVersion: 'v1' } },
  ATTESTATION: { attestation: { hint: { humanReadableName: 'chains' } } },
  DSSE_ATTESTATION: { dsseAttestation: { hint: { humanReadableName: 'dsse' } } },
};

const createWitness = (id: string, witness: Record<string, unknown>): Rpc =>
  rpc(
    ['POST', `/v1/projects/{p}/witnesses?witnessId=${id}`, witness],
    [WITNESSES, 'CreateWitness', { parent: 'projects/{p}', witnessId: id, witness }],
  );
const getWitness = (id: string): Rpc =>
  rpc(['GET', `/v1/projects/{p}/witnesses/${id}`], [WITNESSES, 'GetWitness', { name: `projects/{p}/witnesses/${id}` }]);
const patchWitness = (id: string, witness: Record<string, unknown>, mask: string): Rpc =>
  rpc(
    ['PATCH', `/v1/projects/{p}/witnesses/${id}?updateMask=${mask}`, witness],
    [WITNESSES, 'UpdateWitness', { name: `projects/{p}/witnesses/${id}`, witness, updateMask: { paths: mask.split(',') } }],
  );
const createPolicy = (id: string, policy: Record<string, unknown>): Rpc =>
  rpc(
    ['POST', `/v1/projects/{p}/policies?policyId=${id}`, policy],
    [POLICIES, 'CreatePolicy', { parent: 'projects/{p}', policyId: id, policy }],
  );
const verify = (namespace: string): Rpc => {
  const body = { cluster: 'c1', namespace, images: [IMAGE] };
  return rpc(['POST', '/v1/projects/{p}:verifyImages', body], [VERIFICATION, 'VerifyImages', { parent: 'projects/{p}', ...body }]);
};

describe('witness notes and acceptRawEnvelope over REST and gRPC (PostgreSQL)', function () {
  this.timeout(180000);
  let server: TestServer;
  let api: ApiClient;
  const projectOf = (t: string): string => `wn-${t}`;

  before(async () => {
    server = await startTestServer();
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=c1`, {});
      for (const [file, note, kind] of FIXTURES) {
        await api.must('POST', `/v1/projects/${p}/notes?noteId=${note}`, NOTE_BODIES[kind]);
        const occurrence = fixtureJson(file) as Record<string, unknown>;
        await api.must('POST', `/v1/projects/${p}/occurrences`, { ...occurrence, noteName: `projects/${p}/notes/${note}` });
      }
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

      it('stores, shows and patches notes and acceptRawEnvelope (with etags)', async () => {
        const notes = FIXTURES.map(([, note]) => `projects/${p}/notes/${note}`);
        const w = await ok(createWitness('ci', { publicKeys, notes: notes.slice(0, 2) }));
        expect({ notes: w.notes, acceptRawEnvelope: w.acceptRawEnvelope ?? false }).to.deep.equal({
          notes: notes.slice(0, 2),
          acceptRawEnvelope: false,
        });
        const patched = await ok(patchWitness('ci', { notes, acceptRawEnvelope: true, etag: w.etag }, 'notes,acceptRawEnvelope'));
        expect({ notes: patched.notes, acceptRawEnvelope: patched.acceptRawEnvelope }).to.deep.equal({ notes, acceptRawEnvelope: true });
        const read = await ok(getWitness('ci'));
        expect(read.notes).to.deep.equal(notes);
        expect(read.etag).to.equal(patched.etag);
        const stale = await call(patchWitness('ci', { notes: [], etag: w.etag }, 'notes'));
        expect(stale.code).to.equal('ABORTED');
      });

      it('refuses a note of another project as INVALID_ARGUMENT naming the field', async () => {
        const r = await call(createWitness('stray', { publicKeys, notes: ['projects/elsewhere/notes/n'] }));
        expect(r.code).to.equal('INVALID_ARGUMENT');
        expect(r.message).to.contain('witness.notes[0] projects/elsewhere/notes/n is in another project');
        expect((await call(getWitness('stray'))).code).to.equal('NOT_FOUND');
      });

      it("counts occurrences on the witness's listed notes at :verifyImages, raw envelopes only when accepted", async () => {
        for (const [, note] of FIXTURES) {
          await ok(createWitness(`only-${note}`.slice(0, 40), { publicKeys, notes: [`projects/${p}/notes/${note}`] }));
          await ok(
            createPolicy(`p-${note}`.slice(0, 40), {
              cluster: 'c1',
              namespaces: [note.slice(0, 40)],
              enabled: true,
              witnesses: [`projects/${p}/witnesses/${`only-${note}`.slice(0, 40)}`],
            }),
          );
        }
        const verdicts: Record<string, [boolean, string]> = {};
        for (const [, note] of FIXTURES) {
          const r = (await ok(verify(note.slice(0, 40)))).results[0];
          verdicts[note] = [r.allowed, r.reason];
        }
        expect(verdicts).to.deep.equal({
          'build-42': [true, 'ATTESTED'],
          'tekton-default-taskrun-intoto': [true, 'ATTESTED'],
          'tekton-default-simplesigning': [false, 'BAD_SIGNATURE'],
          'dsse-witness': [true, 'ATTESTED'],
        });
        const raw = `only-tekton-default-simplesigning`;
        await ok(patchWitness(raw, { acceptRawEnvelope: true }, 'acceptRawEnvelope'));
        const r = (await ok(verify('tekton-default-simplesigning'))).results[0];
        expect([r.allowed, r.reason, r.witnesses]).to.deep.equal([true, 'ATTESTED', [`projects/${p}/witnesses/${raw}`]]);
      });
    });
  }
});
