import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer } from '../../src/main';
import { mintToken } from '../../src/auth/token-secrets';
import { callGrpc, callRest, grpcClients } from '../support/rpc-matrix';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  aud: 'attestd',
  exp: now() + 3600,
  roles: { '*': ['viewer'] },
  ...extra,
});
const hs256 = (payload: object, key: string | Buffer, header: object = { alg: 'HS256', typ: 'JWT' }): string => {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${crypto.createHmac('sha256', key).update(body).digest('base64url')}`;
};

type Case = { desc: string; authorization: string | undefined; message: RegExp };

describe('authentication: bad tokens over REST and gRPC', function () {
  this.timeout(60000);
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const otherRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  let hsServer: TestServer;
  let rsServer: TestServer;
  let dir: string;
  const clients = new Map<TestServer, Map<string, grpc.Client>>();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-auth-'));
    fs.writeFileSync(path.join(dir, 'jwt.pub'), rsaPublicPem);
    hsServer = await startTestServer({ env: { DATA_DIR: path.join(dir, 'hs') } });
    rsServer = await startTestServer({
      env: { DATA_DIR: path.join(dir, 'rs'), JWT_SECRET: '', JWT_PUBLIC_KEY_FILE: path.join(dir, 'jwt.pub') },
    });
    for (const s of [hsServer, rsServer]) clients.set(s, grpcClients(s.grpcAddress));
  });
  after(async () => {
    for (const m of clients.values()) for (const c of m.values()) c.close();
    await hsServer?.stop();
    await rsServer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const hsCases = (): Case[] => [
    { desc: 'no Authorization header', authorization: undefined, message: /bearer token is required/ },
    { desc: 'another scheme', authorization: `Basic ${Buffer.from('a:b').toString('base64')}`, message: /"Bearer" scheme/ },
    { desc: 'garbage', authorization: 'Bearer not-a-jwt', message: /malformed/ },
    { desc: 'garbage in three parts', authorization: 'Bearer a.b.c', message: /malformed/ },
    {
      desc: 'signed with another key',
      authorization: `Bearer ${hs256(claims(), crypto.randomBytes(48))}`,
      message: /signed with another key/,
    },
    {
      desc: 'alg none',
      authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
      message: /algorithm "none" is not accepted/,
    },
    {
      desc: 'RS256 on an HS256 server',
      authorization: `Bearer ${jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' })}`,
      message: /algorithm "RS256" is not accepted/,
    },
    { desc: 'expired', authorization: `Bearer ${hs256(claims({ exp: now() - 3600 }), TEST_JWT_SECRET)}`, message: /expired at \d{4}-/ },
    { desc: 'not yet valid', authorization: `Bearer ${hs256(claims({ nbf: now() + 3600 }), TEST_JWT_SECRET)}`, message: /not valid yet/ },
    { desc: 'wrong audience', authorization: `Bearer ${hs256(claims({ aud: 'someone-else' }), TEST_JWT_SECRET)}`, message: /audience/ },
    { desc: 'no exp', authorization: `Bearer ${hs256(claims({ exp: undefined }), TEST_JWT_SECRET)}`, message: /"exp"/ },
    { desc: 'no sub', authorization: `Bearer ${hs256(claims({ sub: undefined }), TEST_JWT_SECRET)}`, message: /"sub"/ },
    {
      desc: 'malformed roles',
      authorization: `Bearer ${hs256(claims({ roles: { '*': ['root'] } }), TEST_JWT_SECRET)}`,
      message: /claim "roles"/,
    },
    {
      desc: 'huge header (> 8 KiB)',
      authorization: `Bearer ${hs256(claims({ pad: 'x'.repeat(9000) }), TEST_JWT_SECRET)}`,
      message: /larger than 8 KiB/,
    },
  ];
  const rsCases = (): Case[] => [
    {
      desc: 'HS256 signed with the RSA public key',
      authorization: `Bearer ${hs256(claims(), rsaPublicPem)}`,
      message: /algorithm "HS256" is not accepted/,
    },
    {
      desc: 'ES256 on an RS256 server',
      authorization: `Bearer ${jwt.sign(claims(), ec.privateKey, { algorithm: 'ES256' })}`,
      message: /algorithm "ES256" is not accepted/,
    },
    {
      desc: 'RS256 signed with another RSA key',
      authorization: `Bearer ${jwt.sign(claims(), otherRsa.privateKey, { algorithm: 'RS256' })}`,
      message: /another key/,
    },
  ];

  for (const [label, server, cases] of [
    ['HS256', () => hsServer, hsCases],
    ['RS256', () => rsServer, rsCases],
  ] as const) {
    for (const c of cases()) {
      it(`${label} server refuses ${c.desc} with 401 / UNAUTHENTICATED on both transports`, async () => {
        const s = server();
        const rest = await callRest(s.baseUrl, 'GET', '/v1/projects', undefined, c.authorization);
        expect(rest.code, rest.message).to.equal('UNAUTHENTICATED');
        expect(rest.message).to.match(c.message);
        if (c.authorization) expect(rest.message).to.not.include(c.authorization.slice(7, 40));
        const g = await callGrpc(clients.get(s)!, 'attestd.v1.Projects', 'ListProjects', {}, c.authorization);
        expect(g.code, g.message).to.equal('UNAUTHENTICATED');
        expect(g.message).to.match(c.message);
      });
    }
  }

  it('accepts valid tokens: HS256 with the secret, RS256 with the configured key', async () => {
    const hsToken = `Bearer ${hs256(claims(), TEST_JWT_SECRET)}`;
    expect((await callRest(hsServer.baseUrl, 'GET', '/v1/projects', undefined, hsToken)).code).to.equal('OK');
    expect((await callGrpc(clients.get(hsServer)!, 'attestd.v1.Projects', 'ListProjects', {}, hsToken)).code).to.equal('OK');
    const rsToken = `Bearer ${jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' })}`;
    expect((await callRest(rsServer.baseUrl, 'GET', '/v1/projects', undefined, rsToken)).code).to.equal('OK');
    expect((await callGrpc(clients.get(rsServer)!, 'attestd.v1.Projects', 'ListProjects', {}, rsToken)).code).to.equal('OK');
  });

  it('keeps health and readiness open', async () => {
    for (const p of ['/healthz', '/readyz']) expect((await fetch(`${hsServer.baseUrl}${p}`)).status).to.equal(200);
  });

  it('refuses to start with a JWT_SECRET shorter than 32 bytes, without echoing it', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://127.0.0.1:1/none',
      JWT_SECRET: 'short-secret-123',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      DATA_DIR: dir,
    });
    const err = await startServer(config, silentLogger()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/JWT_SECRET must be at least 32 bytes/);
    expect(err?.message).to.not.include('short-secret-123');
  });

  it('gives every token it mints an id of its own (jti)', () => {
    const mint = () =>
      jwt.decode(
        mintToken({ secret: TEST_JWT_SECRET, subject: 's', roles: { '*': ['viewer'] }, ttlSeconds: 60, audience: 'attestd' }),
      ) as jwt.JwtPayload;
    const [a, b] = [mint(), mint()];
    expect(a.jti).to.be.a('string').and.not.equal(b.jti);
    expect(a).to.include({ sub: 's', aud: 'attestd' });
  });

  it('generates a 0600 secret and admin token in DATA_DIR when no key is configured, and the token works', async () => {
    const dataDir = path.join(dir, 'generated');
    const s = await startTestServer({ env: { DATA_DIR: dataDir, JWT_SECRET: '' } });
    try {
      for (const f of ['jwt.secret', 'admin.token']) expect(fs.statSync(path.join(dataDir, f)).mode & 0o777, f).to.equal(0o600);
      const token = fs.readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
      expect((await callRest(s.baseUrl, 'POST', '/v1/projects', { name: 'projects/boot' }, `Bearer ${token}`)).code).to.equal('OK');
      // The bootstrap token lasts a day and has an id (jti), as every token attestd mints.
      const claims = jwt.decode(token) as jwt.JwtPayload;
      expect(claims.exp! - claims.iat!).to.equal(24 * 3600);
      expect(claims).to.include({ sub: 'bootstrap-admin' });
      expect(claims.jti).to.match(/^[0-9a-f-]{36}$/);
      expect((await callRest(s.baseUrl, 'GET', '/v1/projects', undefined, undefined)).code).to.equal('UNAUTHENTICATED');
    } finally {
      await s.stop();
    }
  });
});
