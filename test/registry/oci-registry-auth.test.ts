import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import type { RepositoryRef } from '../../src/domain/registry-client';
import { FetchRegistryClient } from '../../src/registry/oci/fetch-registry-client';
import { loadRegistryCredentials } from '../../src/registry/oci/load-registry-credentials';
import { expectRegistryError } from './expect-registry-error';
import {
  buildOciImage,
  REGISTRY_TOOLS,
  requireTools,
  sh,
  skopeoPush,
  startDockerRegistry,
  type DockerRegistry,
} from './start-docker-registry';
import { startTokenServer, tokenAuthConfig, type TokenServer } from './token-server';

// Authentication against the real docker-registry: Basic with an htpasswd file (bcrypt, made by apache2-utils'
// htpasswd), and the Bearer token flow with docker-registry's `auth: token` and a local token service.
// Credentials come from .dockerconfigjson files as Kubernetes mounts them.

const USER = 'puller';
const PASSWORD = 'pa55-w0rd:with-colon';
const REFRESH_TOKEN = 'refresh-7f3c1a';

/** Writes a .dockerconfigjson with one entry and returns its path. */
function dockerConfig(dir: string, name: string, host: string, entry: object): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ auths: { [host]: entry } }), { mode: 0o600 });
  return file;
}

const basicAuth = (user: string, password: string): { auth: string } => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

/** No secret anywhere in what an error shows. */
function expectNoSecret(...texts: string[]): void {
  for (const text of texts) {
    for (const secret of [PASSWORD, 'wrong-password', REFRESH_TOKEN, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]) {
      expect(text).to.not.contain(secret);
    }
  }
}

describe('FetchRegistryClient authentication against docker-registry', function () {
  this.timeout(180_000);
  let dir = '';
  const registries: DockerRegistry[] = [];
  let tokens: TokenServer | undefined;

  before(async function () {
    requireTools(this, [...Object.values(REGISTRY_TOOLS), 'htpasswd', 'openssl'], 'the registry authentication tests');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-oci-auth-'));
    await buildOciImage(dir);
  });

  after(async () => {
    for (const r of registries) await r.stop();
    await tokens?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Basic (htpasswd)', () => {
    let registry: DockerRegistry;
    let repo: RepositoryRef;
    let digest = '';

    before(async () => {
      const htpasswd = await sh('htpasswd', ['-Bbn', USER, PASSWORD], dir);
      fs.writeFileSync(path.join(dir, 'htpasswd'), htpasswd);
      registry = await startDockerRegistry(
        path.join(dir, 'basic'),
        `auth:\n  htpasswd:\n    realm: attestd-test\n    path: ${path.join(dir, 'htpasswd')}\n`,
      );
      registries.push(registry);
      digest = await skopeoPush(dir, `${registry.host}/team/app:1.0`, `${USER}:${PASSWORD}`);
      repo = { registry: registry.host, repository: 'team/app' };
    });

    const client = async (file?: string): Promise<FetchRegistryClient> =>
      new FetchRegistryClient({
        registries: { [registry.host]: { plainHttp: true } },
        ...(file === undefined ? {} : { credentials: await loadRegistryCredentials(file) }),
      });

    it('reads with the username and password from a .dockerconfigjson ("auth" or "username"/"password")', async () => {
      for (const entry of [basicAuth(USER, PASSWORD), { username: USER, password: PASSWORD }]) {
        const c = await client(dockerConfig(dir, 'basic.json', registry.host, entry));
        expect(await c.resolveTag(`${registry.host}/team/app:1.0`)).to.equal(digest);
        const manifest = await c.getManifest(repo, digest);
        const layer = manifest.content.layers[0]!;
        expect((await c.getBlob(repo, layer.digest, layer.size)).length).to.equal(layer.size);
        expect(await c.tags(repo)).to.deep.equal(['1.0']);
      }
    });

    it('says credentials are needed when none are configured, and that they were refused when wrong — without the secret', async () => {
      const anonymous = await expectRegistryError(
        (await client()).getManifest(repo, '1.0'),
        'UNAUTHORIZED',
        `registry ${registry.host} requires a username and password (Basic), and no credentials are configured for ${registry.host}`,
      );
      const file = dockerConfig(dir, 'wrong.json', registry.host, basicAuth(USER, 'wrong-password'));
      const wrong = await expectRegistryError(
        (await client(file)).resolveTag(`${registry.host}/team/app:1.0`),
        'UNAUTHORIZED',
        `registry ${registry.host} refused the username and password from ${file}`,
      );
      expect(wrong.retryable).to.equal(false);
      expectNoSecret(wrong.message, JSON.stringify(wrong), inspect(wrong), anonymous.message, inspect(await client(file), { depth: 10 }));
    });
  });

  describe('Bearer (token service)', () => {
    let registry: DockerRegistry;
    let repo: RepositoryRef;
    let digest = '';

    before(async () => {
      tokens = await startTokenServer(path.join(dir, 'tokens'), { [USER]: PASSWORD }, { [REFRESH_TOKEN]: USER });
      registry = await startDockerRegistry(path.join(dir, 'bearer'), tokenAuthConfig(tokens));
      registries.push(registry);
      // skopeo, a real client, gets its push token from the same service.
      digest = await skopeoPush(dir, `${registry.host}/team/app:1.0`, `${USER}:${PASSWORD}`);
      repo = { registry: registry.host, repository: 'team/app' };
    });

    const client = async (entry?: object, now?: () => number): Promise<FetchRegistryClient> =>
      new FetchRegistryClient({
        registries: { [registry.host]: { plainHttp: true } },
        ...(entry === undefined
          ? {}
          : { credentials: await loadRegistryCredentials(dockerConfig(dir, 'bearer.json', registry.host, entry)) }),
        ...(now === undefined ? {} : { now }),
      });
    const tokenRequests = (who: string): number =>
      tokens!.requests.filter((r) => r.who === who && r.scope === 'repository:team/app:pull').length;

    it('gets a token with Basic credentials, reads, and reuses the token for the scope until it expires', async () => {
      let clock = Date.now();
      const c = await client(basicAuth(USER, PASSWORD), () => clock);
      const before = tokenRequests(USER);
      expect(await c.resolveTag(`${registry.host}/team/app:1.0`)).to.equal(digest);
      const manifest = await c.getManifest(repo, '1.0');
      expect(manifest.digest).to.equal(digest);
      for (const d of [manifest.content.config!, ...manifest.content.layers])
        expect((await c.getBlob(repo, d.digest, d.size)).length).to.equal(d.size);
      expect(await c.tags(repo)).to.deep.equal(['1.0']);
      expect(tokenRequests(USER) - before, 'one token for every call with the same scope').to.equal(1);
      clock += 301_000; // past the token's 300 s
      expect((await c.getManifest(repo, digest)).digest).to.equal(digest);
      expect(tokenRequests(USER) - before, 'a new token once the old one expired').to.equal(2);
    });

    it('exchanges an identity token (OAuth2 refresh token) for an access token', async () => {
      const before = tokenRequests(`refresh:${USER}`);
      const c = await client({ identitytoken: REFRESH_TOKEN });
      expect(await c.resolveTag(`${registry.host}/team/app:1.0`)).to.equal(digest);
      expect(tokenRequests(`refresh:${USER}`) - before).to.equal(1);
      expect(tokens!.requests.at(-1)).to.deep.include({ method: 'POST' });
    });

    it('says the token service refused, anonymous or with wrong credentials — without the secret', async () => {
      const anonymous = await expectRegistryError((await client()).getManifest(repo, '1.0'), 'UNAUTHORIZED');
      expect(anonymous.message).to.equal(
        `token service ${tokens!.realm} refused a token for repository:team/app:pull on ${registry.host} (401; no credentials are configured for ${registry.host})`,
      );
      const wrong = await expectRegistryError((await client(basicAuth(USER, 'wrong-password'))).getManifest(repo, '1.0'), 'UNAUTHORIZED');
      expect(wrong.message).to.match(
        /^token service .* refused a token for repository:team\/app:pull on .* \(401; with the credentials for .* from .*bearer\.json\)$/,
      );
      const badRefresh = await expectRegistryError((await client({ identitytoken: 'not-it' })).getManifest(repo, '1.0'), 'UNAUTHORIZED');
      expectNoSecret(anonymous.message, wrong.message, badRefresh.message, inspect(wrong), JSON.stringify(wrong));
    });
  });
});
