import type * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { LocalOidcIssuer } from '../support/local-oidc-issuer';
import { restCall } from '../support/rest-call';
import { callGrpc, grpcClients } from '../support/rpc-matrix';
import { defaultBackend } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { untilTrue } from '../support/until';

const P = 'attestd.v1.Projects';
const CL = 'attestd.v1.Clusters';
const SA = 'system:serviceaccount:attestd:admission';

/** An outcome of one call on either transport: its code and message. */
type Outcome = { code: string; message: string };

describe('identity providers: tokens of a trusted OIDC issuer authenticate with the bound roles', function () {
  this.timeout(120000);
  let server: TestServer;
  let issuer: LocalOidcIssuer;
  let clients: Map<string, grpc.Client>;
  const admin = (): string => server.adminToken;

  /** Lists clusters of project `p` (any role of the project may) with the token, over `via`. */
  const listClusters = async (via: 'rest' | 'grpc', token: string, p = 'alpha'): Promise<Outcome> => {
    if (via === 'grpc') return callGrpc(clients, CL, 'ListClusters', { parent: `projects/${p}` }, `Bearer ${token}`);
    const r = await restCall(server.baseUrl, token, 'GET', `/v1/projects/${p}/clusters`);
    const e = (r.body as { error?: { status: string; message: string } }).error;
    if (r.status === 200) return { code: 'OK', message: '' };
    if (r.status === 401) expect(e?.status).to.equal('UNAUTHENTICATED');
    return { code: e?.status ?? String(r.status), message: e?.message ?? '' };
  };
  const provider = (p: string, id: string, body: Record<string, unknown>) =>
    restCall(server.baseUrl, admin(), 'POST', `/v1/projects/${p}/identityProviders?providerId=${id}`, {
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: 'attestd',
      algorithms: ['ES256'],
      ...body,
    });

  let databaseUrl: string;
  before(async () => {
    issuer = await LocalOidcIssuer.start();
    databaseUrl = await defaultBackend().createDatabase();
    server = await startTestServer({ databaseUrl });
    clients = grpcClients(server.grpcAddress);
    for (const p of ['alpha', 'beta', 'gamma'])
      expect((await restCall(server.baseUrl, admin(), 'POST', '/v1/projects', { name: `projects/${p}` })).status).to.equal(200);
    // alpha: the admission service account; beta: CI tokens whose "groups" claim lists "release".
    const a = await provider('alpha', 'k8s', { roleBindings: [{ claim: 'sub', equals: SA, roles: ['admission'] }] });
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    const b = await provider('beta', 'ci', { roleBindings: [{ claim: 'groups', equals: 'release', roles: ['attestor', 'viewer'] }] });
    expect(b.status, JSON.stringify(b.body)).to.equal(200);
  });
  after(async () => {
    for (const c of clients?.values() ?? []) c.close();
    await server?.stop();
    await issuer?.stop();
  });

  for (const via of ['rest', 'grpc'] as const) {
    it(`${via}: a token the issuer signs authenticates with the bound roles, scoped to each provider's project`, async () => {
      const token = await issuer.sign({ sub: SA, groups: ['dev', 'release'] });
      expect(await listClusters(via, token, 'alpha')).to.deep.equal({ code: 'OK', message: '' });
      expect(await listClusters(via, token, 'beta')).to.deep.equal({ code: 'OK', message: '' });
      const gamma = await listClusters(via, token, 'gamma');
      expect(gamma.code).to.equal('PERMISSION_DENIED');
      expect(gamma.message).to.include(`"${issuer.issuer}#${SA}"`);
      // admission on alpha does not reach admin: registering a cluster is refused.
      const create =
        via === 'rest'
          ? await restCall(server.baseUrl, token, 'POST', '/v1/projects/alpha/clusters?clusterId=c9', {}).then((r) => r.status)
          : (await callGrpc(clients, CL, 'CreateCluster', { parent: 'projects/alpha', clusterId: 'c9', cluster: {} }, `Bearer ${token}`))
              .code;
      expect(create).to.be.oneOf([403, 'PERMISSION_DENIED']);
      // A token whose claims match no binding authenticates with no role.
      const stranger = await issuer.sign({ sub: 'someone-else', groups: ['dev'] });
      expect((await listClusters(via, stranger, 'alpha')).code).to.equal('PERMISSION_DENIED');
    });
  }

  it("grants the union of every project's bindings, recorded (with its jti) and revocable like attestd's own tokens", async () => {
    const jti = `oidc-${Date.now()}`;
    const token = await issuer.sign({ sub: SA, groups: ['release'], jti });
    expect((await listClusters('rest', token)).code).to.equal('OK');
    let grants: unknown;
    await untilTrue("the provider's token to be listed", async () => {
      const r = await restCall(server.baseUrl, admin(), 'GET', `/v1/tokens/${jti}`);
      grants = (r.body as { grants?: unknown }).grants;
      return r.status === 200;
    });
    expect((grants as { project: string }[]).sort((x, y) => x.project.localeCompare(y.project))).to.deep.equal([
      { project: 'alpha', roles: ['admission'] },
      { project: 'beta', roles: ['attestor', 'viewer'] },
    ]);
    expect((await restCall(server.baseUrl, admin(), 'POST', `/v1/tokens/${jti}:revoke`, {})).status).to.equal(200);
    for (const via of ['rest', 'grpc'] as const) {
      const o = await listClusters(via, token);
      expect(o.code).to.equal('UNAUTHENTICATED');
      expect(o.message).to.include(`(jti ${jti}) was revoked`);
    }
  });

  /** Forged and unfit tokens, each refused with 401 and its reason, on both transports. */
  const REFUSED: ReadonlyArray<{ desc: string; token: () => Promise<string> | string; reason: RegExp }> = [
    {
      desc: 'alg none',
      token: () => issuer.unsigned({ sub: SA }),
      reason: /algorithm "none" is not accepted \(unsigned tokens are never accepted\)/,
    },
    {
      desc: 'HMAC with the public key as secret',
      token: () => issuer.hmacWithPublicKey({ sub: SA }),
      reason:
        /algorithm "HS256" is not accepted \(HMAC is never accepted from an issuer\); identity provider projects\/alpha\/identityProviders\/k8s accepts ES256/,
    },
    { desc: 'a wrong audience', token: () => issuer.sign({ sub: SA, aud: 'someone-else' }), reason: /audience \("aud"\) is not "attestd"/ },
    {
      desc: 'an issuer no project trusts',
      token: () => issuer.sign({ sub: SA, iss: 'https://evil.example.com' }),
      reason: /issuer "https:\/\/evil\.example\.com" is not trusted: no project has an identity provider for it/,
    },
    {
      desc: 'an expired token',
      token: () => issuer.sign({ sub: SA, exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 }),
      reason: /the bearer token expired at \d{4}-/,
    },
    { desc: 'no exp', token: () => issuer.sign({ sub: SA, exp: undefined }), reason: /no valid "exp" \(expiry\) claim/ },
    {
      desc: 'an unknown kid',
      token: () => issuer.sign({ sub: SA }, { key: 'unpublished', kid: 'stranger' }),
      reason: /no key of identity provider projects\/alpha\/identityProviders\/k8s matches the bearer token \(kid "stranger"\)/,
    },
    {
      desc: 'a known kid with another key (forged signature)',
      token: () => issuer.sign({ sub: SA }, { key: 'unpublished', kid: 'k1' }),
      reason: /signature does not verify with the keys of identity provider/,
    },
  ];
  for (const c of REFUSED) {
    it(`refuses ${c.desc}: 401 UNAUTHENTICATED with the reason, on REST and gRPC`, async () => {
      const token = await c.token();
      for (const via of ['rest', 'grpc'] as const) {
        const o = await listClusters(via, token);
        expect(o.code, `${via}: ${o.message}`).to.equal('UNAUTHENTICATED');
        expect(o.message, via).to.match(c.reason);
      }
    });
  }

  it('picks up a rotated key (a new kid) by fetching the JWK Set again; a flood of unknown kids costs few fetches', async () => {
    await issuer.rotate('k2');
    const token = await issuer.sign({ sub: SA }, { kid: 'k2' });
    await untilTrue('the provider to authenticate', async () => (await listClusters('rest', token)).code === 'OK');
    expect((await listClusters('grpc', token)).code).to.equal('OK');
    const before = issuer.jwksRequests;
    for (let i = 0; i < 30; i++) {
      const forged = await issuer.sign({ sub: SA }, { key: 'unpublished', kid: `random-${i}` });
      expect((await listClusters('rest', forged)).code).to.equal('UNAUTHENTICATED');
    }
    expect(issuer.jwksRequests - before).to.be.below(30);
  });

  it('keeps the cached keys while the JWKS endpoint is down or answers garbage, and never accepts an unknown key then', async () => {
    const good = await issuer.sign({ sub: SA }, { kid: 'k1' });
    for (const mode of ['down', 'garbage', 'huge'] as const) {
      issuer.mode = mode;
      const seen = issuer.jwksRequests;
      const forged = await issuer.sign({ sub: SA }, { key: 'unpublished', kid: `evil-${mode}` });
      // Refused until the adapter has actually asked the broken endpoint (the refetch is rate limited), and after.
      await untilTrue('the adapter to ask the broken JWKS endpoint', async () => {
        const o = await listClusters('rest', forged);
        expect(o.code, o.message).to.equal('UNAUTHENTICATED');
        return issuer.jwksRequests > seen;
      });
      expect((await listClusters('rest', forged)).code).to.equal('UNAUTHENTICATED');
      expect((await listClusters('rest', good)).code).to.equal('OK');
      expect((await listClusters('grpc', good)).code).to.equal('OK');
    }
    issuer.mode = 'ok';
  });

  it('refuses every token of a provider whose keys could not be fetched yet, saying why', async () => {
    const broken = await LocalOidcIssuer.start();
    try {
      for (const [mode, why] of [
        ['garbage', /fetching the JWK Set failed: it did not answer JSON/],
        ['huge', /fetching the JWK Set failed: its JWK Set is larger than 256 KiB/],
      ] as const) {
        broken.mode = mode;
        const id = `broken-${mode}`;
        const created = await restCall(server.baseUrl, admin(), 'POST', `/v1/projects/gamma/identityProviders?providerId=${id}`, {
          issuer: broken.issuer,
          jwksUri: `${broken.jwksUri}?${mode}`,
          audience: 'attestd',
          algorithms: ['ES256'],
          roleBindings: [{ claim: 'sub', equals: 'bot', roles: ['viewer'] }],
        });
        expect(created.status, JSON.stringify(created.body)).to.equal(200);
        for (const via of ['rest', 'grpc'] as const) {
          const o = await listClusters(via, await broken.sign({ sub: 'bot' }), 'gamma');
          expect(o.code, o.message).to.equal('UNAUTHENTICATED');
          expect(o.message).to.match(/the token's issuer keys are not available/);
          expect(o.message).to.match(why);
        }
        expect((await restCall(server.baseUrl, admin(), 'DELETE', `/v1/projects/gamma/identityProviders/${id}`)).status).to.equal(200);
      }
    } finally {
      await broken.stop();
    }
  });

  it('applies a provider created on one replica on another sharing the database (which reloads them every 2 s)', async () => {
    const other = await startTestServer({ databaseUrl });
    try {
      const token = await issuer.sign({ sub: 'replica-bot' });
      const call = async (): Promise<number> => (await restCall(other.baseUrl, token, 'GET', '/v1/projects/gamma/clusters')).status;
      // The issuer is trusted (by alpha and beta), but nothing grants this subject a role in gamma yet.
      expect(await call()).to.equal(403);
      const created = await provider('gamma', 'replicas', { roleBindings: [{ claim: 'sub', equals: 'replica-bot', roles: ['viewer'] }] });
      expect(created.status, JSON.stringify(created.body)).to.equal(200);
      await untilTrue('the call to be allowed', async () => (await call()) === 200);
      expect((await restCall(server.baseUrl, admin(), 'DELETE', '/v1/projects/gamma/identityProviders/replicas')).status).to.equal(200);
      await untilTrue('the call to be forbidden', async () => (await call()) === 403);
    } finally {
      await other.stop();
    }
  });

  it('trusts inline keys, and stops trusting a deleted provider at once', async () => {
    const inline = await restCall(server.baseUrl, admin(), 'POST', '/v1/projects/gamma/identityProviders?providerId=inline', {
      issuer: issuer.issuer,
      jwks: issuer.jwks(),
      audience: 'attestd',
      algorithms: ['ES256'],
      roleBindings: [{ claim: 'sub', equals: 'gamma-bot', roles: ['viewer'] }],
    });
    expect(inline.status, JSON.stringify(inline.body)).to.equal(200);
    const token = await issuer.sign({ sub: 'gamma-bot' });
    expect((await listClusters('rest', token, 'gamma')).code).to.equal('OK');
    for (const [p, id] of [
      ['gamma', 'inline'],
      ['alpha', 'k8s'],
      ['beta', 'ci'],
    ] as const)
      expect((await restCall(server.baseUrl, admin(), 'DELETE', `/v1/projects/${p}/identityProviders/${id}`)).status).to.equal(200);
    for (const via of ['rest', 'grpc'] as const) {
      const o = await listClusters(via, token, 'gamma');
      expect(o.code).to.equal('UNAUTHENTICATED');
      expect(o.message).to.match(/is not trusted: no project has an identity provider for it/);
    }
    expect((await callGrpc(clients, P, 'ListProjects', {}, `Bearer ${admin()}`)).code).to.equal('OK');
  });
});
