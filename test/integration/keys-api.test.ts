import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import { keyIdFor } from '../../src/signing/signature-algorithms';
import {
  ApiClient,
  KMS,
  opensslAvailable,
  opensslVerify,
  rpc,
  tempDir,
  TRANSPORTS,
  type Reply,
  type Rpc,
  type Transport,
} from '../support/api-client';
import { startTestServer, type TestServer } from '../support/test-server';

// The key manager over REST and gRPC: every spec × purpose, sign/verify, rotate, disable/enable, bad input.

const DATA = Buffer.from('attestd key manager test payload').toString('base64');

interface CreateCase {
  readonly spec: string;
  readonly purpose: string;
  /** The algorithm the key gets, or the error code. */
  readonly want: string;
  readonly hash?: 'sha256' | 'sha384';
  readonly pss?: boolean;
}

const CREATE_CASES: readonly CreateCase[] = [
  { spec: 'RSA_2048', purpose: 'SIGN_VERIFY', want: 'RSA_SIGN_PSS_2048_SHA256', hash: 'sha256', pss: true },
  { spec: 'RSA_2048', purpose: 'ENCRYPT_DECRYPT', want: 'RSA_DECRYPT_OAEP_2048_SHA256' },
  { spec: 'RSA_3072', purpose: 'SIGN_VERIFY', want: 'RSA_SIGN_PSS_3072_SHA256', hash: 'sha256', pss: true },
  { spec: 'RSA_3072', purpose: 'ENCRYPT_DECRYPT', want: 'RSA_DECRYPT_OAEP_3072_SHA256' },
  { spec: 'EC_P256', purpose: 'SIGN_VERIFY', want: 'EC_SIGN_P256_SHA256', hash: 'sha256', pss: false },
  { spec: 'EC_P256', purpose: 'ENCRYPT_DECRYPT', want: 'INVALID_ARGUMENT' },
  { spec: 'EC_P384', purpose: 'SIGN_VERIFY', want: 'EC_SIGN_P384_SHA384', hash: 'sha384', pss: false },
  { spec: 'EC_P384', purpose: 'ENCRYPT_DECRYPT', want: 'INVALID_ARGUMENT' },
];

const createKey = (keyId: string, key: Record<string, unknown>): Rpc =>
  rpc(['POST', `/v1/projects/{p}/keys?keyId=${keyId}`, key], [KMS, 'CreateKey', { parent: 'projects/{p}', keyId, key }]);
const keyRpc = (method: string, verb: string, suffix: string, keyId: string, extra: Record<string, unknown> = {}): Rpc =>
  rpc(
    [verb, `/v1/projects/{p}/keys/${keyId}${suffix}`, verb === 'GET' ? undefined : extra],
    [KMS, method, { name: `projects/{p}/keys/${keyId}`, ...extra }],
  );
const sign = (keyId: string, data: string | null = DATA): Rpc => keyRpc('Sign', 'POST', ':sign', keyId, data === null ? {} : { data });
const verify = (keyId: string, data: string, signature: string, version?: string): Rpc =>
  keyRpc('Verify', 'POST', ':verify', keyId, { data, signature, ...(version ? { version } : {}) });
const publicKey = (keyId: string): Rpc => keyRpc('GetPublicKey', 'GET', '/publicKey', keyId);

describe('keys API over REST and gRPC', function () {
  this.timeout(180000);
  let server: TestServer;
  let api: ApiClient;
  let dataDir: string;
  let work: string;
  const projectOf = (t: Transport): string => `keys-${t}`;

  before(async () => {
    dataDir = tempDir('attestd-keys-');
    work = tempDir('attestd-keys-openssl-');
    server = await startTestServer({ env: { DATA_DIR: dataDir, MASTER_KEY: crypto.randomBytes(32).toString('base64') } });
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    for (const t of TRANSPORTS) await api.must('POST', '/v1/projects', { name: `projects/${projectOf(t)}` });
  });
  after(async () => {
    api?.close();
    await server?.stop();
    for (const d of [dataDir, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const call = (t: Transport, r: Rpc): Promise<Reply> => api.call(t, r, projectOf(t));
  const ok = async (t: Transport, r: Rpc): Promise<Reply['body']> => {
    const got = await call(t, r);
    expect(got.code, got.message).to.equal('OK');
    return got.body;
  };

  for (const t of TRANSPORTS) {
    describe(t, () => {
      for (const c of CREATE_CASES) {
        it(`create ${c.spec} ${c.purpose} → ${c.want}`, async () => {
          const keyId = `${c.spec}-${c.purpose}`.toLowerCase().replace(/_/g, '-');
          const got = await call(t, createKey(keyId, { keySpec: c.spec, purpose: c.purpose }));
          if (!c.want.includes('_SIGN_') && !c.want.includes('_DECRYPT_')) {
            expect(got.code).to.equal(c.want);
            expect(got.http).to.equal(400);
            expect(got.message).to.match(/RSA_2048, RSA_3072 or RSA_4096/);
            return;
          }
          expect(got.code, got.message).to.equal('OK');
          expect(got.body).to.include({
            name: `projects/${projectOf(t)}/keys/${keyId}`,
            keySpec: c.spec,
            purpose: c.purpose,
            algorithm: c.want,
            state: 'ENABLED',
          });
          expect(got.body.primaryVersion).to.equal(`projects/${projectOf(t)}/keys/${keyId}/versions/1`);
          const pub = await ok(t, publicKey(keyId));
          expect(pub.pem).to.match(/^-----BEGIN PUBLIC KEY-----\n/);
          expect(pub.algorithm).to.equal(c.want);
          expect(pub.keyId).to.equal(keyIdFor(crypto.createPublicKey(pub.pem)));
          if (c.purpose !== 'SIGN_VERIFY') {
            const refused = await call(t, sign(keyId));
            expect(refused.code, refused.message).to.equal('FAILED_PRECONDITION');
            expect(refused.message).to.match(/SIGN_VERIFY/);
            return;
          }
          const signed = await ok(t, sign(keyId));
          expect(signed).to.include({ name: `projects/${projectOf(t)}/keys/${keyId}/versions/1`, algorithm: c.want });
          expect(await ok(t, verify(keyId, DATA, signed.signature))).to.include({ valid: true, version: signed.name });
          // Independent check: node's verifier over the published PEM.
          const sig = Buffer.from(signed.signature, 'base64');
          const data = Buffer.from(DATA, 'base64');
          const nodeOk = c.pss
            ? crypto.verify(c.hash, data, { key: pub.pem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
            : crypto.verify(c.hash, data, pub.pem, sig);
          expect(nodeOk, 'node:crypto verifies the signature with the public key').to.equal(true);
        });
      }

      it('default key: RSA_2048 SIGN_VERIFY with RSA_SIGN_PSS_2048_SHA256; GetKey and ListKeys show it without private parts', async () => {
        const created = await ok(t, createKey('default-key', {}));
        expect(created).to.include({
          keySpec: 'RSA_2048',
          purpose: 'SIGN_VERIFY',
          algorithm: 'RSA_SIGN_PSS_2048_SHA256',
          state: 'ENABLED',
        });
        const got = await ok(t, keyRpc('GetKey', 'GET', '', 'default-key'));
        expect(got.name).to.equal(created.name);
        const list = await ok(
          t,
          rpc(['GET', '/v1/projects/{p}/keys?pageSize=1000'], [KMS, 'ListKeys', { parent: 'projects/{p}', pageSize: 1000 }]),
        );
        expect(list.keys.map((k: { name: string }) => k.name)).to.include(created.name);
        expect(JSON.stringify([created, got, list])).to.not.match(/PRIVATE|material|privateKey/i);
      });

      it('tampered data or signature does not verify; a truncated signature is false, not an error', async () => {
        await ok(t, createKey('tamper', {}));
        const signed = await ok(t, sign('tamper'));
        const data = Buffer.from(DATA, 'base64');
        data[0]! ^= 1;
        expect((await ok(t, verify('tamper', data.toString('base64'), signed.signature))).valid).to.not.equal(true);
        const sig = Buffer.from(signed.signature, 'base64');
        sig[10]! ^= 0x80;
        expect((await ok(t, verify('tamper', DATA, sig.toString('base64')))).valid).to.not.equal(true);
        expect((await ok(t, verify('tamper', DATA, sig.subarray(0, 100).toString('base64')))).valid).to.not.equal(true);
      });

      it('rotate: version 2 becomes primary and signs; version 1 signatures still verify', async () => {
        await ok(t, createKey('rotating', {}));
        const old = await ok(t, sign('rotating'));
        const rotated = await ok(t, keyRpc('RotateKey', 'POST', ':rotate', 'rotating'));
        expect(rotated.primaryVersion).to.match(/\/keys\/rotating\/versions\/2$/);
        expect(rotated.versions).to.have.length(2);
        const fresh = await ok(t, sign('rotating'));
        expect(fresh.name).to.match(/\/versions\/2$/);
        expect(await ok(t, verify('rotating', DATA, old.signature))).to.include({ valid: true, version: old.name });
        expect(await ok(t, verify('rotating', DATA, fresh.signature))).to.include({ valid: true, version: fresh.name });
        expect((await ok(t, verify('rotating', DATA, old.signature, '2'))).valid, 'pinned to version 2').to.not.equal(true);
        const pub1 = await ok(t, keyRpc('GetPublicKey', 'GET', '/publicKey?version=1', 'rotating', { version: '1' }));
        const pub2 = await ok(t, publicKey('rotating'));
        expect(pub2.name).to.match(/\/versions\/2$/);
        expect(pub1.pem === pub2.pem).to.equal(false);
      });

      it('disable: sign refused with FAILED_PRECONDITION (400) and verify false; enable restores both', async () => {
        await ok(t, createKey('switch', {}));
        const before = await ok(t, sign('switch'));
        expect((await ok(t, keyRpc('DisableKey', 'POST', ':disable', 'switch'))).state).to.equal('DISABLED');
        const refused = await call(t, sign('switch'));
        expect([refused.code, refused.http]).to.deep.equal(['FAILED_PRECONDITION', 400]);
        expect(refused.message).to.match(/DISABLED/);
        expect((await ok(t, verify('switch', DATA, before.signature))).valid).to.not.equal(true);
        expect((await ok(t, keyRpc('EnableKey', 'POST', ':enable', 'switch'))).state).to.equal('ENABLED');
        expect((await ok(t, verify('switch', DATA, before.signature))).valid).to.equal(true);
        await ok(t, sign('switch'));
      });

      it('bad input table', async () => {
        await ok(t, createKey('bad-input', {}));
        await ok(t, createKey('enc-only', { purpose: 'ENCRYPT_DECRYPT' }));
        const cases: Array<{ desc: string; r: Rpc; wantCode: string; wantMessage?: RegExp }> = [
          { desc: 'duplicate key id', r: createKey('bad-input', {}), wantCode: 'ALREADY_EXISTS', wantMessage: /already exists/ },
          { desc: 'bad key id', r: createKey('no.dots', {}), wantCode: 'INVALID_ARGUMENT', wantMessage: /keyId/ },
          {
            desc: 'unknown algorithm for the spec',
            r: createKey('alg', { keySpec: 'EC_P256', algorithm: 'RSA_SIGN_PSS_2048_SHA256' }),
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /EC_SIGN_P256_SHA256/,
          },
          { desc: 'sign without data', r: sign('bad-input', null), wantCode: 'INVALID_ARGUMENT', wantMessage: /data/ },
          {
            desc: 'sign of 64 KiB + 1',
            r: sign('bad-input', Buffer.alloc(64 * 1024 + 1, 7).toString('base64')),
            wantCode: 'INVALID_ARGUMENT',
            wantMessage: /65536/,
          },
          { desc: 'sign with a missing key', r: sign('nope'), wantCode: 'NOT_FOUND' },
          {
            desc: 'verify with an ENCRYPT_DECRYPT key',
            r: verify('enc-only', DATA, DATA),
            wantCode: 'FAILED_PRECONDITION',
            wantMessage: /SIGN_VERIFY/,
          },
          {
            desc: 'public key of a missing version',
            r: keyRpc('GetPublicKey', 'GET', '/publicKey?version=9', 'bad-input', { version: '9' }),
            wantCode: 'NOT_FOUND',
          },
          { desc: 'rotate a missing key', r: keyRpc('RotateKey', 'POST', ':rotate', 'nope'), wantCode: 'NOT_FOUND' },
        ];
        for (const c of cases) {
          const got = await call(t, c.r);
          expect(got.code, `${c.desc}: ${got.message}`).to.equal(c.wantCode);
          if (c.wantMessage) expect(got.message, c.desc).to.match(c.wantMessage);
        }
      });
    });
  }

  it('REST: unknown keySpec or purpose → 400 naming the valid ones', async () => {
    const p = projectOf('rest');
    const spec = await api.rest('POST', `/v1/projects/${p}/keys?keyId=u1`, { keySpec: 'RSA_1024' });
    expect(spec.http).to.equal(400);
    for (const s of ['RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P256', 'EC_P384']) expect(spec.message).to.include(s);
    const purpose = await api.rest('POST', `/v1/projects/${p}/keys?keyId=u2`, { purpose: 'MAC' });
    expect(purpose.http).to.equal(400);
    for (const s of ['SIGN_VERIFY', 'ENCRYPT_DECRYPT']) expect(purpose.message).to.include(s);
    expect((await api.rest('GET', `/v1/projects/${p}/keys/u1`)).code).to.equal('NOT_FOUND');
  });

  it('gRPC: a numeric keySpec outside the enum → INVALID_ARGUMENT, no key', async () => {
    const p = projectOf('grpc');
    const got = await api.grpc(KMS, 'CreateKey', { parent: `projects/${p}`, keyId: 'u3', key: { keySpec: 42 } });
    expect(got.code, got.message).to.equal('INVALID_ARGUMENT');
    expect((await api.grpc(KMS, 'GetKey', { name: `projects/${p}/keys/u3` })).code).to.equal('NOT_FOUND');
  });

  it('RSA_4096 (one key): signs with RSA_SIGN_PSS_4096_SHA256', async () => {
    const p = projectOf('rest');
    const created = await api.must('POST', `/v1/projects/${p}/keys?keyId=big`, { keySpec: 'RSA_4096' });
    expect(created.algorithm).to.equal('RSA_SIGN_PSS_4096_SHA256');
    const signed = await api.must('POST', `/v1/projects/${p}/keys/big:sign`, { data: DATA });
    expect(Buffer.from(signed.signature, 'base64')).to.have.length(512);
    expect((await api.must('POST', `/v1/projects/${p}/keys/big:verify`, { data: DATA, signature: signed.signature })).valid).to.equal(true);
  });

  it('openssl dgst verifies attestd signatures with the published PEM (RSA-PSS salt 32, ECDSA DER), and rejects a tampered one', function () {
    if (!opensslAvailable(this)) return;
    return (async () => {
      const p = projectOf('rest');
      for (const c of CREATE_CASES.filter((x) => x.purpose === 'SIGN_VERIFY')) {
        const keyId = `ossl-${c.spec.toLowerCase().replace('_', '-')}`;
        await api.must('POST', `/v1/projects/${p}/keys?keyId=${keyId}`, { keySpec: c.spec });
        const pub = await api.must('GET', `/v1/projects/${p}/keys/${keyId}/publicKey`);
        const signed = await api.must('POST', `/v1/projects/${p}/keys/${keyId}:sign`, { data: DATA });
        const sig = Buffer.from(signed.signature, 'base64');
        const good = opensslVerify(work, pub.pem, Buffer.from(DATA, 'base64'), sig, c.hash!, c.pss!);
        expect(good.ok, `${c.spec}: ${good.output}`).to.equal(true);
        expect(good.output).to.match(/Verified OK/);
        const bad = opensslVerify(work, pub.pem, Buffer.from(`${DATA}x`), sig, c.hash!, c.pss!);
        expect(bad.ok, `${c.spec} tampered`).to.equal(false);
      }
    })();
  });
});
