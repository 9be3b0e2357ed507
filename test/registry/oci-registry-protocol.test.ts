import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { OCI_INDEX, type Descriptor } from '../../src/domain/registry-client';
import { FetchRegistryClient } from '../../src/registry/oci/fetch-registry-client';
import { RegistryCredentials } from '../../src/registry/oci/registry-credentials';
import { expectRegistryError } from './expect-registry-error';
import { answer, startScriptedRegistry, type ScriptedRegistry } from './scripted-registry';

// Protocol paths the Debian registry does not take, played by a scripted server: HEAD without a digest,
// blob storage redirects to another origin, the OCI 1.1 referrers API with pages, tag pagination, token reuse.

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 2 },
  layers: [],
});
const sha = (b: string | Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const SUBJECT = `sha256:${'5'.repeat(64)}`;
const referrer = (n: number, artifactType: string): Descriptor => ({
  mediaType: OCI,
  digest: sha(`referrer ${n}`),
  size: 100 + n,
  artifactType,
});
const index = (manifests: Descriptor[]): string => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });

describe('FetchRegistryClient protocol paths', function () {
  this.timeout(60_000);
  let server: ScriptedRegistry;
  let storage: ScriptedRegistry;
  let client: FetchRegistryClient;
  const repo = (): { registry: string; repository: string } => ({ registry: server.host, repository: 'p/app' });

  beforeEach(async () => {
    server = await startScriptedRegistry();
    storage = await startScriptedRegistry();
    client = new FetchRegistryClient({ registries: { [server.host]: { plainHttp: true } } });
  });
  afterEach(async () => {
    await server.stop();
    await storage.stop();
  });

  it('falls back to GET and hashes the bytes when HEAD gives no digest', async () => {
    server.script = (req, res) => answer(res, 200, { 'content-type': OCI }, req.method === 'HEAD' ? '' : MANIFEST);
    expect(await client.resolveTag(`${server.host}/p/app:1`)).to.equal(sha(MANIFEST));
    expect(server.requests.map((r) => r.method)).to.deep.equal(['HEAD', 'GET']);
  });

  it('does not trust a digest header on an HTML answer: the GET says it is not a manifest', async () => {
    server.script = (_req, res) =>
      answer(res, 200, { 'content-type': 'text/html', 'docker-content-digest': sha(MANIFEST) }, '<html></html>');
    await expectRegistryError(client.resolveTag(`${server.host}/p/app:1`), 'NOT_A_MANIFEST', /answered text\/html for manifest p\/app:1/);
  });

  it('follows a blob redirect to storage on another origin without sending it the credentials', async () => {
    const blob = Buffer.from('layer bytes');
    const credentials = new RegistryCredentials(new Map([[server.host, { username: 'u', password: 'p' }]]), 'test');
    client = new FetchRegistryClient({ credentials, registries: { [server.host]: { plainHttp: true } } });
    server.script = (req, res) =>
      req.headers.authorization === undefined
        ? answer(res, 401, { 'www-authenticate': 'Basic realm="r"' })
        : answer(res, 307, { location: `${storage.baseUrl}/bucket/blob?X-Signature=secret-signature` });
    storage.script = (_req, res) => answer(res, 200, { 'content-type': 'application/octet-stream' }, blob);
    expect((await client.getBlob(repo(), sha(blob), 1024)).equals(blob)).to.equal(true);
    expect(server.requests.map((r) => r.authorization)).to.deep.equal([undefined, `Basic ${Buffer.from('u:p').toString('base64')}`]);
    expect(storage.requests).to.deep.equal([{ method: 'GET', url: '/bucket/blob?X-Signature=secret-signature' }]);
    // Basic is sent up front once the registry asked for it.
    await client.getBlob(repo(), sha(blob), 1024);
    expect(server.requests.at(-1)?.authorization).to.match(/^Basic /);
    expect(server.requests).to.have.length(3);
  });

  it('reads the OCI 1.1 referrers API across pages and filters by artifact type itself', async () => {
    const a = referrer(1, 'application/vnd.example.a');
    const b = referrer(2, 'application/vnd.example.b');
    const c = referrer(3, 'application/vnd.example.a');
    server.script = (req, res) => {
      const page2 = req.url?.includes('last=2') === true;
      const headers: Record<string, string> = { 'content-type': OCI_INDEX };
      if (!page2) headers.link = `</v2/p/app/referrers/${SUBJECT}?last=2>; rel="next"`;
      answer(res, 200, headers, index(page2 ? [c] : [a, b]));
    };
    expect(await client.referrers(repo(), SUBJECT)).to.deep.equal([a, b, c]);
    expect(await client.referrers(repo(), SUBJECT, 'application/vnd.example.a')).to.deep.equal([a, c]);
    expect(server.requests.at(-2)?.url).to.equal(`/v2/p/app/referrers/${SUBJECT}?artifactType=application%2Fvnd.example.a`);
  });

  it('refuses a referrers answer that is not an index, and a referrers tag that holds an image manifest', async () => {
    server.script = (_req, res) => answer(res, 200, { 'content-type': OCI }, MANIFEST);
    await expectRegistryError(
      client.referrers(repo(), SUBJECT),
      'NOT_A_MANIFEST',
      /answered referrers of p\/app@sha256:5{64} with a .*manifest.*, not an OCI index/,
    );
    server.script = (req, res) =>
      req.url?.includes('/referrers/') === true ? answer(res, 404, {}) : answer(res, 200, { 'content-type': OCI }, MANIFEST);
    await expectRegistryError(
      client.referrers(repo(), SUBJECT),
      'NOT_A_MANIFEST',
      /at referrers tag p\/app:sha256-5{64}, not an OCI index/,
    );
  });

  it('follows tag list pages, but not to another host', async () => {
    server.script = (req, res) =>
      req.url?.includes('last=b') === true
        ? answer(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ name: 'p/app', tags: ['c'] }))
        : answer(
            res,
            200,
            { 'content-type': 'application/json', link: '</v2/p/app/tags/list?n=1000&last=b>; rel="next"' },
            JSON.stringify({ name: 'p/app', tags: ['a', 'b'] }),
          );
    expect(await client.tags(repo())).to.deep.equal(['a', 'b', 'c']);
    server.script = (_req, res) =>
      answer(
        res,
        200,
        { 'content-type': 'application/json', link: '<http://198.51.100.7/v2/p/app/tags/list?last=b>; rel="next"' },
        '{"tags":["a"]}',
      );
    await expectRegistryError(client.tags(repo()), 'BAD_RESPONSE', /pointed the next page of a list at another host \(198\.51\.100\.7\)/);
  });

  it('fetches one Bearer token for concurrent calls, reuses it, and replaces a token the registry refuses', async () => {
    let issued = 0;
    let accepted = 'token-1';
    const tokenService = (_req: IncomingMessage, res: ServerResponse): void => {
      issued++;
      answer(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ token: `token-${issued}`, expires_in: 300 }));
    };
    server.script = (req, res) => {
      if (req.url?.startsWith('/token') === true) return tokenService(req, res);
      if (req.headers.authorization !== `Bearer ${accepted}`) {
        return answer(res, 401, {
          'www-authenticate': `Bearer realm="${server.baseUrl}/token",service="svc",scope="repository:p/app:pull"`,
        });
      }
      answer(res, 200, { 'content-type': OCI }, MANIFEST);
    };
    await client.getManifest(repo(), '1'); // 401, token, retry
    // A cached token is a secret: a client printed in a log shows none.
    expect(inspect(client, { depth: 20, showHidden: true })).to.not.contain('token-1');
    await Promise.all([1, 2, 3, 4].map(() => client.getManifest(repo(), '1')));
    expect(issued).to.equal(1);
    expect(server.requests.filter((r) => r.url.startsWith('/token'))[0]?.url).to.equal(
      '/token?service=svc&scope=repository%3Ap%2Fapp%3Apull',
    );
    accepted = 'token-3'; // the registry now refuses token-1; the next token it is offered (token-2) too
    await expectRegistryError(
      client.getManifest(repo(), '1'),
      'UNAUTHORIZED',
      /refused the token its token service issued for repository:p\/app:pull/,
    );
    expect(issued).to.equal(2);
    expect((await client.getManifest(repo(), '1')).digest).to.equal(sha(MANIFEST));
    expect(issued).to.equal(3);
  });
});
