import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { identityProvidersCommand } from '../../src/cli/identity-providers-command';
import { restCall } from '../support/rest-call';
import { callGrpc, grpcClients } from '../support/rpc-matrix';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

const IDP = 'attestd.v1.IdentityProviders';
const publicJwk = (): Record<string, unknown> => ({
  ...crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  kid: 'k1',
});
const privateJwk = (): Record<string, unknown> =>
  crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const GOOD = {
  issuer: 'https://issuer.example.com',
  jwksUri: 'https://issuer.example.com/.well-known/jwks.json',
  audience: 'attestd',
  algorithms: ['ES256'],
  roleBindings: [{ claim: 'sub', equals: 'system:serviceaccount:attestd:admission', roles: ['admission'] }],
};

/** A JSON object as a google.protobuf.Struct for the proto-loader client (REST takes it as plain JSON). */
function struct(o: Record<string, unknown>): Record<string, unknown> {
  const value = (v: unknown): Record<string, unknown> =>
    v === null
      ? { nullValue: 0 }
      : typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'number'
          ? { numberValue: v }
          : typeof v === 'boolean'
            ? { boolValue: v }
            : Array.isArray(v)
              ? { listValue: { values: v.map(value) } }
              : { structValue: struct(v as Record<string, unknown>) };
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) };
}

/** Bodies that must be refused with INVALID_ARGUMENT, and what the message must say. */
const BAD: ReadonlyArray<{ desc: string; body: Record<string, unknown>; message: RegExp }> = [
  { desc: 'no issuer', body: { ...GOOD, issuer: '' }, message: /identityProvider\.issuer is required/ },
  { desc: 'issuer not a URL', body: { ...GOOD, issuer: 'issuer.example.com' }, message: /issuer must be an https URL/ },
  {
    desc: 'plain http issuer on a remote host',
    body: { ...GOOD, issuer: 'http://issuer.example.com' },
    message: /issuer must be an https URL \(http is allowed only for 127\.0\.0\.1/,
  },
  { desc: 'issuer with credentials', body: { ...GOOD, issuer: 'https://u:p@issuer.example.com' }, message: /must not carry credentials/ },
  {
    desc: 'http jwksUri on a remote host',
    body: { ...GOOD, jwksUri: 'http://issuer.example.com/jwks' },
    message: /jwksUri must be an https URL/,
  },
  { desc: 'neither jwksUri nor jwks', body: { ...GOOD, jwksUri: '' }, message: /jwksUri or identityProvider\.jwks is required/ },
  {
    desc: 'both jwksUri and jwks',
    body: { ...GOOD, jwks: { keys: [publicJwk()] } },
    message: /exactly one of identityProvider\.jwksUri and identityProvider\.jwks/,
  },
  { desc: 'jwks without keys', body: { ...GOOD, jwksUri: '', jwks: { nokeys: true } }, message: /jwks must be a JWK Set/ },
  {
    desc: 'jwks holding a private key',
    body: { ...GOOD, jwksUri: '', jwks: { keys: [privateJwk()] } },
    message: /jwks\.keys\[0\] is a private key \(it has "d"\)/,
  },
  {
    desc: 'jwks holding a symmetric key',
    body: { ...GOOD, jwksUri: '', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    message: /jwks\.keys\[0\]\.kty must be RSA, EC or OKP/,
  },
  {
    desc: 'jwks key that is not a key',
    body: { ...GOOD, jwksUri: '', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] } },
    message: /jwks\.keys\[0\] is not a valid public EC key/,
  },
  { desc: 'no audience', body: { ...GOOD, audience: '' }, message: /identityProvider\.audience is required/ },
  { desc: 'no algorithms', body: { ...GOOD, algorithms: [] }, message: /identityProvider\.algorithms is required/ },
  { desc: 'alg none', body: { ...GOOD, algorithms: ['none'] }, message: /algorithms\[0\] is "none": unsigned tokens are never accepted/ },
  { desc: 'HMAC', body: { ...GOOD, algorithms: ['ES256', 'HS256'] }, message: /algorithms\[1\] is "HS256": HMAC would let anyone/ },
  { desc: 'unknown algorithm', body: { ...GOOD, algorithms: ['ES999'] }, message: /"ES999": not a supported asymmetric algorithm/ },
  { desc: 'no role bindings', body: { ...GOOD, roleBindings: [] }, message: /identityProvider\.roleBindings is required/ },
  {
    desc: 'empty claim name',
    body: { ...GOOD, roleBindings: [{ claim: ' ', equals: 'x', roles: ['viewer'] }] },
    message: /roleBindings\[0\]\.claim must be a claim name/,
  },
  {
    desc: 'empty value',
    body: { ...GOOD, roleBindings: [{ claim: 'sub', equals: '', roles: ['viewer'] }] },
    message: /roleBindings\[0\]\.equals must be the claim's value/,
  },
  {
    desc: 'unknown role',
    body: { ...GOOD, roleBindings: [{ claim: 'sub', equals: 'x', roles: ['viewer', 'root'] }] },
    message: /roleBindings\[0\]\.roles\[1\] must be one of viewer, attestor, admission, admin, got "root"/,
  },
  {
    desc: 'no roles',
    body: { ...GOOD, roleBindings: [{ claim: 'sub', equals: 'x', roles: [] }] },
    message: /roleBindings\[0\]\.roles is required/,
  },
];

describe('identity providers: CRUD over REST, gRPC and the CLI, with every field validated', function () {
  this.timeout(60000);
  let server: TestServer;
  let clients: Map<string, grpc.Client>;

  before(async () => {
    server = await startTestServer();
    clients = grpcClients(server.grpcAddress);
    expect((await restCall(server.baseUrl, server.adminToken, 'POST', '/v1/projects', { name: 'projects/idp' })).status).to.equal(200);
  });
  after(async () => {
    for (const c of clients?.values() ?? []) c.close();
    await server?.stop();
  });

  it('creates, reads, lists, updates and deletes a provider (loopback http allowed, inline keys shown back)', async () => {
    const created = await restCall(server.baseUrl, server.adminToken, 'POST', '/v1/projects/idp/identityProviders?providerId=ci', GOOD);
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    expect(created.body).to.deep.include({ name: 'projects/idp/identityProviders/ci', ...GOOD, revision: '1' });
    const jwk = publicJwk();
    const inline = { ...GOOD, issuer: 'http://127.0.0.1:8099', jwksUri: '', jwks: { keys: [jwk] } };
    const second = await restCall(server.baseUrl, server.adminToken, 'POST', '/v1/projects/idp/identityProviders?providerId=k8s', inline);
    expect(second.status, JSON.stringify(second.body)).to.equal(200);
    expect((second.body as { jwks: unknown }).jwks).to.deep.equal({ keys: [jwk] });
    const listed = await restCall(server.baseUrl, server.adminToken, 'GET', '/v1/projects/idp/identityProviders');
    expect((listed.body as { identityProviders: { name: string }[] }).identityProviders.map((p) => p.name)).to.deep.equal([
      'projects/idp/identityProviders/ci',
      'projects/idp/identityProviders/k8s',
    ]);
    const patched = await restCall(server.baseUrl, server.adminToken, 'PATCH', '/v1/projects/idp/identityProviders/ci', {
      audience: 'other',
    });
    expect(patched.body).to.deep.include({ audience: 'other', revision: '2' });
    const badPatch = await restCall(server.baseUrl, server.adminToken, 'PATCH', '/v1/projects/idp/identityProviders/ci', {
      algorithms: ['HS256'],
    });
    expect(badPatch.status).to.equal(400);
    const viaGrpc = await callGrpc(
      clients,
      IDP,
      'GetIdentityProvider',
      { name: 'projects/idp/identityProviders/k8s' },
      `Bearer ${server.adminToken}`,
    );
    expect(viaGrpc.code, viaGrpc.message).to.equal('OK');
    expect((await restCall(server.baseUrl, server.adminToken, 'DELETE', '/v1/projects/idp/identityProviders/k8s')).status).to.equal(200);
    expect((await restCall(server.baseUrl, server.adminToken, 'GET', '/v1/projects/idp/identityProviders/k8s')).status).to.equal(404);
    const again = await restCall(server.baseUrl, server.adminToken, 'POST', '/v1/projects/idp/identityProviders?providerId=ci', GOOD);
    expect(again.status).to.equal(409);
  });

  for (const c of BAD) {
    it(`refuses ${c.desc} with INVALID_ARGUMENT on REST and gRPC alike`, async () => {
      const r = await restCall(server.baseUrl, server.adminToken, 'POST', '/v1/projects/idp/identityProviders?providerId=bad', c.body);
      const error = (r.body as { error: { status: string; message: string } }).error;
      expect(r.status, JSON.stringify(r.body)).to.equal(400);
      expect(error.status).to.equal('INVALID_ARGUMENT');
      expect(error.message, error.message).to.match(c.message);
      const g = await callGrpc(
        clients,
        IDP,
        'CreateIdentityProvider',
        {
          parent: 'projects/idp',
          providerId: 'bad',
          identityProvider: { ...c.body, ...(c.body.jwks ? { jwks: struct(c.body.jwks as Record<string, unknown>) } : {}) },
        },
        `Bearer ${server.adminToken}`,
      );
      expect(g.code).to.equal('INVALID_ARGUMENT');
      expect(g.message, g.message).to.match(c.message);
    });
  }

  it('attestd identity-providers create|get|list|delete, with --jwks-file and --bind CLAIM=VALUE:ROLES', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-idp-cli-'));
    const jwksFile = path.join(dir, 'jwks.json');
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk()] }));
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const out = new PassThrough();
      const err = new PassThrough();
      const chunks: string[] = [];
      const errs: string[] = [];
      out.on('data', (b: Buffer) => chunks.push(b.toString()));
      err.on('data', (b: Buffer) => errs.push(b.toString()));
      const env = { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken, ATTESTD_PROJECT: 'idp' };
      const code = await identityProvidersCommand(args, { out, err, env });
      return { code, out: chunks.join(''), err: errs.join('') };
    };
    const created = await run(
      'create',
      'cli',
      '--issuer',
      'https://kubernetes.default.svc',
      '--jwks-file',
      jwksFile,
      '--audience',
      'attestd',
      '--algorithm',
      'RS256',
      '--bind',
      'sub=system:serviceaccount:attestd:admission:admission,viewer',
    );
    expect(created.code, created.err).to.equal(0);
    expect(JSON.parse(created.out).roleBindings).to.deep.equal([
      { claim: 'sub', equals: 'system:serviceaccount:attestd:admission', roles: ['admission', 'viewer'] },
    ]);
    const listed = await run('list', '--output', 'text');
    expect(listed.out).to.match(
      /projects\/idp\/identityProviders\/cli\s+https:\/\/kubernetes\.default\.svc\s+inline\s+attestd\s+RS256\s+1/,
    );
    const badBind = await run(
      'create',
      'x',
      '--issuer',
      'https://a.example',
      '--jwks-uri',
      'https://a.example/j',
      '--audience',
      'a',
      '--algorithm',
      'ES256',
      '--bind',
      'sub',
    );
    expect(badBind.code).to.equal(2);
    expect(badBind.err).to.include('--bind must look like CLAIM=VALUE:ROLE[,ROLE]');
    const refused = await run(
      'create',
      'y',
      '--issuer',
      'ftp://a.example',
      '--jwks-uri',
      'https://a.example/j',
      '--audience',
      'a',
      '--algorithm',
      'ES256',
      '--bind',
      'sub=x:viewer',
    );
    expect(refused.code).to.equal(1);
    expect(refused.err).to.include('identityProvider.issuer must be an https URL');
    expect((await run('delete', 'cli')).code).to.equal(0);
    expect((await run('get', 'cli')).code).to.equal(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("identity providers: attestd's own issuer is not a provider", function () {
  this.timeout(60000);
  const OWN = 'https://attestd.example.com';
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ env: { JWT_ISSUER: OWN } });
    token = jwt.sign({ roles: { '*': ['admin'] } }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
      audience: 'attestd',
      issuer: OWN,
      subject: 'test-admin',
      expiresIn: '1h',
    });
    expect((await restCall(server.baseUrl, token, 'POST', '/v1/projects', { name: 'projects/own' })).status).to.equal(200);
  });
  after(async () => {
    await server?.stop();
  });

  it('refuses a provider whose issuer is JWT_ISSUER (it could never match a token) and takes any other', async () => {
    const refused = await restCall(server.baseUrl, token, 'POST', '/v1/projects/own/identityProviders?providerId=self', {
      ...GOOD,
      issuer: OWN,
    });
    expect(refused.status, JSON.stringify(refused.body)).to.equal(400);
    const { message } = (refused.body as { error: { message: string } }).error;
    expect(message).to.include("identityProvider.issuer is attestd's own issuer (JWT_ISSUER)");
    expect((await restCall(server.baseUrl, token, 'GET', '/v1/projects/own/identityProviders/self')).status).to.equal(404);
    const other = await restCall(server.baseUrl, token, 'POST', '/v1/projects/own/identityProviders?providerId=ci', GOOD);
    expect(other.status, JSON.stringify(other.body)).to.equal(200);
  });
});
