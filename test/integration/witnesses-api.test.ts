import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import {
  ApiClient,
  digest,
  GRAFEAS,
  opensslAvailable,
  opensslVerify,
  POLICIES,
  rpc,
  tempDir,
  TRANSPORTS,
  WITNESSES,
  type Rpc,
  type Transport,
} from '../support/api-client';
import { startTestServer, type TestServer } from '../support/test-server';

// Witnesses and :attest over REST and gRPC: creation with the note, refused keys, external public keys,
// nothing half-created, delete guards, masked updates, and the attestation occurrence itself.

const rsaPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA_PUB = rsaPair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const RSA_PRIV = rsaPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RSA_PRIV_PKCS1 = rsaPair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const EC_PUB = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const createWitness = (id: string, witness: Record<string, unknown>): Rpc =>
  rpc(
    ['POST', `/v1/projects/{p}/witnesses?witnessId=${id}`, witness],
    [WITNESSES, 'CreateWitness', { parent: 'projects/{p}', witnessId: id, witness }],
  );
const getWitness = (id: string): Rpc =>
  rpc(['GET', `/v1/projects/{p}/witnesses/${id}`], [WITNESSES, 'GetWitness', { name: `projects/{p}/witnesses/${id}` }]);
const deleteWitness = (id: string, force = false): Rpc =>
  rpc(
    ['DELETE', `/v1/projects/{p}/witnesses/${id}${force ? '?force=true' : ''}`],
    [WITNESSES, 'DeleteWitness', { name: `projects/{p}/witnesses/${id}`, force }],
  );
const attest = (id: string, image: string): Rpc =>
  rpc(
    ['POST', `/v1/projects/{p}/witnesses/${id}:attest`, { image }],
    [WITNESSES, 'Attest', { name: `projects/{p}/witnesses/${id}`, image }],
  );
const getNote = (id: string): Rpc =>
  rpc(['GET', `/v1/projects/{p}/notes/${id}`], [GRAFEAS, 'GetNote', { name: `projects/{p}/notes/${id}` }]);

describe('witnesses API and :attest over REST and gRPC', function () {
  this.timeout(120000);
  let server: TestServer;
  let api: ApiClient;
  let dataDir: string;
  let work: string;
  const projectOf = (t: Transport): string => `wit-${t}`;

  before(async () => {
    dataDir = tempDir('attestd-witnesses-');
    work = tempDir('attestd-witnesses-openssl-');
    server = await startTestServer({ env: { DATA_DIR: dataDir, MASTER_KEY: crypto.randomBytes(32).toString('base64') } });
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      await api.must('POST', `/v1/projects/${p}/keys?keyId=signer`, {});
      await api.must('POST', `/v1/projects/${p}/keys?keyId=signer2`, { keySpec: 'EC_P256' });
      await api.must('POST', `/v1/projects/${p}/keys?keyId=enc`, { purpose: 'ENCRYPT_DECRYPT' });
      await api.must('POST', `/v1/projects/${p}/keys?keyId=off`, {});
      await api.must('POST', `/v1/projects/${p}/keys/off:disable`, {});
      await api.must('POST', `/v1/projects/${p}/notes?noteId=taken`, { attestation: { hint: { humanReadableName: 'taken' } } });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=c1`, {});
    }
  });
  after(async () => {
    api?.close();
    await server?.stop();
    for (const d of [dataDir, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
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

      it('create: the witness and its ATTESTATION note projects/p/notes/W with hint.humanReadableName', async () => {
        const w = await ok(createWitness('qa', { key: `projects/${p}/keys/signer`, description: 'QA sign-off' }));
        expect(w).to.include({
          name: `projects/${p}/witnesses/qa`,
          key: `projects/${p}/keys/signer`,
          description: 'QA sign-off',
          note: `projects/${p}/notes/qa`,
        });
        expect(w.keys).to.deep.equal([`projects/${p}/keys/signer`]);
        const note = await ok(getNote('qa'));
        expect(note.kind).to.equal('ATTESTATION');
        expect(note.attestation.hint.humanReadableName).to.equal('qa');
        expect((await ok(getWitness('qa'))).name).to.equal(w.name);
        const list = await ok(rpc(['GET', '/v1/projects/{p}/witnesses'], [WITNESSES, 'ListWitnesses', { parent: 'projects/{p}' }]));
        expect(list.witnesses.map((x: { name: string }) => x.name)).to.include(w.name);
      });

      it('refused creates leave neither a witness nor a note', async () => {
        const cases: Array<{
          desc: string;
          id: string;
          witness: Record<string, unknown>;
          wantCode: string;
          wantHttp: number;
          wantMessage?: RegExp[];
        }> = [
          {
            desc: 'ENCRYPT_DECRYPT key',
            id: 'w-enc',
            witness: { key: `projects/${p}/keys/enc` },
            wantCode: 'FAILED_PRECONDITION',
            wantHttp: 400,
            wantMessage: [/ENCRYPT_DECRYPT/, /SIGN_VERIFY/, /RSA_2048/, /EC_P256/],
          },
          {
            desc: 'disabled key',
            id: 'w-off',
            witness: { key: `projects/${p}/keys/off` },
            wantCode: 'FAILED_PRECONDITION',
            wantHttp: 400,
            wantMessage: [/DISABLED/, /SIGN_VERIFY/],
          },
          {
            desc: 'missing key',
            id: 'w-missing',
            witness: { key: `projects/${p}/keys/ghost` },
            wantCode: 'NOT_FOUND',
            wantHttp: 404,
            wantMessage: [/ghost/],
          },
          {
            desc: 'second key missing',
            id: 'w-missing2',
            witness: { keys: [`projects/${p}/keys/signer`, `projects/${p}/keys/ghost`] },
            wantCode: 'NOT_FOUND',
            wantHttp: 404,
          },
          {
            desc: 'no key at all',
            id: 'w-none',
            witness: { description: 'x' },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/key/],
          },
          {
            desc: 'malformed key name',
            id: 'w-badname',
            witness: { key: 'signer' },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/projects\/\{project\}\/keys/],
          },
          {
            desc: 'key of another project',
            id: 'w-other',
            witness: { key: 'projects/elsewhere/keys/signer' },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
          },
          {
            desc: 'malformed PEM',
            id: 'w-pem',
            witness: {
              publicKeys: [{ pem: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n', algorithm: 'RSA_SIGN_PSS_2048_SHA256' }],
            },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/publicKeys\[0\]\.pem/],
          },
          {
            desc: 'private key PEM (PKCS#8)',
            id: 'w-priv',
            witness: { publicKeys: [{ pem: RSA_PRIV, algorithm: 'RSA_SIGN_PSS_2048_SHA256' }] },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/private/],
          },
          {
            desc: 'private key PEM (PKCS#1)',
            id: 'w-priv1',
            witness: { publicKeys: [{ pem: RSA_PRIV_PKCS1, algorithm: 'RSA_SIGN_PSS_2048_SHA256' }] },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/private/],
          },
          {
            desc: 'EC key with an RSA algorithm',
            id: 'w-alg',
            witness: { publicKeys: [{ pem: EC_PUB, algorithm: 'RSA_SIGN_PSS_2048_SHA256' }] },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/RSA/],
          },
          {
            desc: 'RSA-2048 key with a 4096 algorithm',
            id: 'w-alg2',
            witness: { publicKeys: [{ pem: RSA_PUB, algorithm: 'RSA_SIGN_PKCS1_4096_SHA256' }] },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/4096/],
          },
          {
            desc: 'unknown algorithm',
            id: 'w-alg3',
            witness: { publicKeys: [{ pem: RSA_PUB, algorithm: 'RSA_MD5' }] },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
          },
          {
            desc: 'public key without algorithm',
            id: 'w-alg4',
            witness: { publicKeys: [{ pem: RSA_PUB }] },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
            wantMessage: [/algorithm/],
          },
          {
            desc: 'bad witness id',
            id: 'bad%3Aid',
            witness: { key: `projects/${p}/keys/signer` },
            wantCode: 'INVALID_ARGUMENT',
            wantHttp: 400,
          },
        ];
        for (const c of cases) {
          const id = t === 'grpc' ? decodeURIComponent(c.id) : c.id;
          const got = await call(createWitness(id, c.witness));
          expect([got.code, got.http], `${c.desc}: ${got.message}`).to.deep.equal([c.wantCode, c.wantHttp]);
          for (const m of c.wantMessage ?? []) expect(got.message, c.desc).to.match(m);
          if (!decodeURIComponent(id).includes(':')) {
            expect((await call(getWitness(id))).code, `${c.desc}: no witness`).to.equal('NOT_FOUND');
            expect((await call(getNote(id))).code, `${c.desc}: no note`).to.equal('NOT_FOUND');
          }
        }
      });

      it('witness id taken by an existing note → 409 ALREADY_EXISTS, no witness row, the note untouched', async () => {
        const got = await call(createWitness('taken', { key: `projects/${p}/keys/signer` }));
        expect([got.code, got.http]).to.deep.equal(['ALREADY_EXISTS', 409]);
        expect((await call(getWitness('taken'))).code).to.equal('NOT_FOUND');
        const note = await ok(getNote('taken'));
        expect(note.shortDescription ?? '').to.equal('');
        const again = await call(createWitness('qa', { key: `projects/${p}/keys/signer` }));
        expect(again.code).to.equal('ALREADY_EXISTS');
      });

      it('external public keys (PEM + algorithm) with a default ni:/// key id; PEM re-exported as SPKI', async () => {
        const w = await ok(
          createWitness('external', {
            publicKeys: [
              { pem: RSA_PUB, algorithm: 'RSA_SIGN_PKCS1_2048_SHA256' },
              { pem: EC_PUB, algorithm: 'ECDSA_P256_SHA256', keyId: 'my-ec' },
            ],
          }),
        );
        expect(w.key ?? '').to.equal('');
        expect(w.publicKeys).to.have.length(2);
        const spki = crypto.createPublicKey(RSA_PUB).export({ type: 'spki', format: 'der' });
        expect(w.publicKeys[0].keyId).to.equal(`ni:///sha-256;${crypto.createHash('sha256').update(spki).digest('base64url')}`);
        expect(w.publicKeys[0].pem).to.equal(RSA_PUB);
        expect(w.publicKeys[1].keyId).to.equal('my-ec');
        const refused = await call(attest('external', `registry.example.com/ns/app@${digest('ext')}`));
        expect([refused.code, refused.http], refused.message).to.deep.equal(['FAILED_PRECONDITION', 400]);
      });

      it('update with a mask: description only, then keys; a refused update changes nothing', async () => {
        await ok(createWitness('upd', { key: `projects/${p}/keys/signer`, description: 'first' }));
        const upd = (witness: Record<string, unknown>, mask: string[]): Rpc =>
          rpc(
            ['PATCH', `/v1/projects/{p}/witnesses/upd?updateMask=${mask.join(',')}`, witness],
            [WITNESSES, 'UpdateWitness', { name: `projects/{p}/witnesses/upd`, witness, updateMask: { paths: mask } }],
          );
        const d = await ok(upd({ description: 'second', keys: [`projects/${p}/keys/signer2`] }, ['description']));
        expect(d.description).to.equal('second');
        expect(d.keys).to.deep.equal([`projects/${p}/keys/signer`]);
        const k = await ok(upd({ description: 'ignored', keys: [`projects/${p}/keys/signer2`, `projects/${p}/keys/signer`] }, ['keys']));
        expect(k.description).to.equal('second');
        expect(k.keys).to.deep.equal([`projects/${p}/keys/signer2`, `projects/${p}/keys/signer`]);
        expect(k.key).to.equal(`projects/${p}/keys/signer2`);
        const refused = await call(upd({ keys: [`projects/${p}/keys/enc`] }, ['keys']));
        expect(refused.code).to.equal('FAILED_PRECONDITION');
        const none = await call(upd({ keys: [] }, ['keys']));
        expect(none.code).to.equal('INVALID_ARGUMENT');
        expect((await ok(getWitness('upd'))).keys).to.deep.equal(k.keys);
      });

      it('delete: refused while a policy uses it (naming the policy), refused with attestations unless force, then note gone too', async () => {
        await ok(createWitness('del', { key: `projects/${p}/keys/signer` }));
        const policy = { witnesses: [`projects/${p}/witnesses/del`], cluster: 'c1', namespaces: ['default'] };
        await ok(
          rpc(
            ['POST', '/v1/projects/{p}/policies?policyId=uses-del', policy],
            [POLICIES, 'CreatePolicy', { parent: 'projects/{p}', policyId: 'uses-del', policy }],
          ),
        );
        const inUse = await call(deleteWitness('del'));
        expect([inUse.code, inUse.http]).to.deep.equal(['FAILED_PRECONDITION', 400]);
        expect(inUse.message).to.include(`projects/${p}/policies/uses-del`);
        expect((await call(deleteWitness('del', true))).code, 'force does not override a policy').to.equal('FAILED_PRECONDITION');
        await ok(
          rpc(['DELETE', '/v1/projects/{p}/policies/uses-del'], [POLICIES, 'DeletePolicy', { name: 'projects/{p}/policies/uses-del' }]),
        );
        const occ = await ok(attest('del', `registry.example.com/ns/app@${digest('del')}`));
        const hasAttestations = await call(deleteWitness('del'));
        expect([hasAttestations.code, hasAttestations.http]).to.deep.equal(['FAILED_PRECONDITION', 400]);
        expect(hasAttestations.message).to.match(/1 attestation.*force=true/);
        await ok(getWitness('del'));
        await ok(deleteWitness('del', true));
        expect((await call(getWitness('del'))).code).to.equal('NOT_FOUND');
        expect((await call(getNote('del'))).code).to.equal('NOT_FOUND');
        expect((await call(rpc(['GET', `/v1/${occ.name}`], [GRAFEAS, 'GetOccurrence', { name: occ.name }]))).code).to.equal('NOT_FOUND');
        expect((await call(deleteWitness('del'))).code).to.equal('NOT_FOUND');
      });

      it(':attest stores the simple-signing occurrence; the same digest twice gives the same occurrence', async () => {
        await ok(createWitness('signer-w', { key: `projects/${p}/keys/signer` }));
        const d = digest(`attest-${t}`);
        const occ = await ok(attest('signer-w', `registry.example.com:5000/team/app:1.0@${d}`));
        expect(occ).to.include({
          resourceUri: `https://registry.example.com:5000/team/app@${d}`,
          noteName: `projects/${p}/notes/signer-w`,
          kind: 'ATTESTATION',
        });
        const payload = JSON.parse(Buffer.from(occ.attestation.serializedPayload, 'base64').toString('utf8'));
        expect(payload.critical).to.deep.equal({
          identity: { 'docker-reference': 'registry.example.com:5000/team/app' },
          image: { 'docker-manifest-digest': d },
          type: 'atomic container signature',
        });
        expect(payload.optional.creator).to.be.a('string');
        expect(payload.optional.timestamp).to.be.a('number');
        expect(occ.attestation.signatures).to.have.length(1);
        expect(occ.attestation.signatures[0].publicKeyId).to.equal(`projects/${p}/keys/signer/versions/1`);
        const again = await ok(attest('signer-w', `registry.example.com:5000/team/app@${d}`));
        expect(again.name).to.equal(occ.name);
        const stored = await ok(rpc(['GET', `/v1/${occ.name}`], [GRAFEAS, 'GetOccurrence', { name: occ.name }]));
        expect(stored.attestation.serializedPayload).to.equal(occ.attestation.serializedPayload);
        // After rotation, the existing (still valid) attestation is still returned.
        await api.must('POST', `/v1/projects/${p}/keys/signer:rotate`, {});
        expect((await ok(attest('signer-w', `registry.example.com:5000/team/app@${d}`))).name).to.equal(occ.name);
        const other = await ok(attest('signer-w', `registry.example.com:5000/team/other@${d}`));
        expect(other.name).to.not.equal(occ.name);
        expect(other.attestation.signatures[0].publicKeyId).to.equal(`projects/${p}/keys/signer/versions/2`);
      });

      it(':attest bad input table', async () => {
        const cases: Array<{ desc: string; image: string; wantCode: string; wantMessage?: RegExp; witness?: string }> = [
          { desc: 'tag only', image: 'registry.example.com/ns/app:1.0', wantCode: 'INVALID_ARGUMENT', wantMessage: /digest/ },
          { desc: 'no tag, no digest', image: 'registry.example.com/ns/app', wantCode: 'INVALID_ARGUMENT', wantMessage: /digest/ },
          { desc: 'uppercase repository', image: `registry.example.com/ns/App@${digest(1)}`, wantCode: 'INVALID_ARGUMENT' },
          { desc: 'short digest', image: 'registry.example.com/ns/app@sha256:abc', wantCode: 'INVALID_ARGUMENT' },
          {
            desc: 'uppercase hex digest',
            image: `registry.example.com/ns/app@${digest(2).toUpperCase().replace('SHA256', 'sha256')}`,
            wantCode: 'INVALID_ARGUMENT',
          },
          { desc: 'unknown digest algorithm', image: `registry.example.com/ns/app@md5:${'a'.repeat(32)}`, wantCode: 'INVALID_ARGUMENT' },
          { desc: 'empty image', image: '', wantCode: 'INVALID_ARGUMENT' },
          { desc: 'missing witness', image: `registry.example.com/ns/app@${digest(3)}`, wantCode: 'NOT_FOUND', witness: 'ghost' },
        ];
        await call(createWitness('bad-attest', { key: `projects/${p}/keys/signer2` }));
        for (const c of cases) {
          const got = await call(attest(c.witness ?? 'bad-attest', c.image));
          expect(got.code, `${c.desc}: ${got.message}`).to.equal(c.wantCode);
          if (c.wantMessage) expect(got.message, c.desc).to.match(c.wantMessage);
        }
        const occurrences = await ok(
          rpc(
            ['GET', '/v1/projects/{p}/notes/bad-attest/occurrences'],
            [GRAFEAS, 'ListNoteOccurrences', { name: 'projects/{p}/notes/bad-attest' }],
          ),
        );
        expect(occurrences.occurrences ?? []).to.have.length(0);
      });
    });
  }

  it('attestd attestations verify with openssl dgst against the witness key PEM (RSA-PSS salt 32)', function () {
    if (!opensslAvailable(this)) return;
    return (async () => {
      const p = projectOf('rest');
      await api.must('POST', `/v1/projects/${p}/keys?keyId=ossl`, {});
      await api.must('POST', `/v1/projects/${p}/witnesses?witnessId=ossl`, { key: `projects/${p}/keys/ossl` });
      const occ = await api.must('POST', `/v1/projects/${p}/witnesses/ossl:attest`, {
        image: `registry.example.com/ns/ossl@${digest('ossl')}`,
      });
      const pub = await api.must('GET', `/v1/projects/${p}/keys/ossl/publicKey`);
      const payload = Buffer.from(occ.attestation.serializedPayload, 'base64');
      const sig = Buffer.from(occ.attestation.signatures[0].signature, 'base64');
      const out = opensslVerify(work, pub.pem, payload, sig, 'sha256', true);
      expect(out.ok, out.output).to.equal(true);
      expect(out.output).to.match(/Verified OK/);
    })();
  });
});
