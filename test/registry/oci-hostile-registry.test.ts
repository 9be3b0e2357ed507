import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { RegistryErrorReason } from '../../src/domain/registry-error';
import { FetchRegistryClient, MAX_MANIFEST_BYTES } from '../../src/registry/oci/fetch-registry-client';
import { expectRegistryError } from './expect-registry-error';
import { freePort } from '../support/free-port';
import { poll } from './registry-support';
import { answer, endless, startScriptedRegistry, type Script, type ScriptedRegistry } from './scripted-registry';

// Registries that lie, stall, flood or loop, played by a local node:http server: each answer is refused with
// a RegistryError whose reason and message say what happened, and no read goes past its bound.

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const REPO = 'h/app';
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 2 },
  layers: [],
});
const sha = (b: string | Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OTHER = sha('something else');
const BLOB_DIGEST = sha('the blob');
const TIMEOUT_MS = 400;

/** Waits until the server saw the response to `url` close (the client hung up); the test's timeout bounds it. */
function closedBy(server: ScriptedRegistry, url: string): Promise<{ url: string; written: number }> {
  return poll(`the connection for ${url} to close`, 20_000, () => Promise.resolve(server.closed.find((c) => c.url === url)));
}

interface Case {
  desc: string;
  script: Script;
  call: (c: FetchRegistryClient, host: string) => Promise<unknown>;
  reason: RegistryErrorReason;
  message: RegExp | ((host: string) => string);
  after?: (server: ScriptedRegistry) => Promise<void>;
}

const getTag = (c: FetchRegistryClient, host: string): Promise<unknown> => c.getManifest({ registry: host, repository: REPO }, '1');
const getBlob = (c: FetchRegistryClient, host: string): Promise<unknown> =>
  c.getBlob({ registry: host, repository: REPO }, BLOB_DIGEST, 1024);
const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Script =>
  (_req, res) =>
    answer(res, code, headers, body);

const cases: Case[] = [
  {
    desc: 'an HTML page where a manifest belongs',
    script: status(200, { 'content-type': 'text/html; charset=utf-8' }, '<html><body>Welcome</body></html>'),
    call: getTag,
    reason: 'NOT_A_MANIFEST',
    message: (h) => `registry ${h} answered text/html for manifest h/app:1, not an OCI or Docker manifest`,
  },
  {
    desc: 'JSON that is not a manifest',
    script: status(200, { 'content-type': 'application/json' }, '{"hello":"world"}'),
    call: getTag,
    reason: 'NOT_A_MANIFEST',
    message: (h) => `registry ${h} answered JSON without a schemaVersion for manifest h/app:1, not an OCI or Docker manifest`,
  },
  {
    desc: 'a manifest content type over bytes that are not JSON',
    script: status(200, { 'content-type': OCI }, 'not json at all'),
    call: getTag,
    reason: 'NOT_A_MANIFEST',
    message: /answered application\/vnd\.oci\.image\.manifest\.v1\+json that is not JSON for manifest h\/app:1/,
  },
  {
    desc: 'a Docker schema 1 manifest',
    script: status(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, '{"schemaVersion":1}'),
    call: getTag,
    reason: 'NOT_A_MANIFEST',
    message: /answered application\/vnd\.docker\.distribution\.manifest\.v1\+prettyjws for manifest h\/app:1/,
  },
  {
    desc: 'a body whose mediaType contradicts its content type',
    script: status(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }, MANIFEST),
    call: getTag,
    reason: 'NOT_A_MANIFEST',
    message: /holding a manifest that declares mediaType "application\/vnd\.oci\.image\.manifest\.v1\+json"/,
  },
  {
    desc: 'a manifest with a broken layer descriptor',
    script: status(200, { 'content-type': OCI }, MANIFEST.replace('"layers":[]', '"layers":[{"mediaType":"x","digest":"nope","size":1}]')),
    call: getTag,
    reason: 'NOT_A_MANIFEST',
    message: /a application\/vnd\.oci\.image\.manifest\.v1\+json whose layers\[0\]\.digest is not a digest/,
  },
  {
    desc: 'a manifest asked for by digest whose bytes have another digest',
    script: status(200, { 'content-type': OCI }, MANIFEST),
    call: (c, h) => c.getManifest({ registry: h, repository: REPO }, OTHER),
    reason: 'DIGEST_MISMATCH',
    message: (h) => `registry ${h} answered manifest h/app@${OTHER} with content whose digest is ${sha(MANIFEST)}, not ${OTHER}`,
  },
  {
    desc: 'a Docker-Content-Digest header that is not the digest of the bytes',
    script: status(200, { 'content-type': OCI, 'docker-content-digest': OTHER }, MANIFEST),
    call: getTag,
    reason: 'DIGEST_MISMATCH',
    message: /with content whose digest is sha256:[a-f0-9]{64}, not sha256:/,
  },
  {
    desc: 'a blob whose bytes are not its digest',
    script: status(200, { 'content-type': 'application/octet-stream' }, 'not the blob'),
    call: getBlob,
    reason: 'DIGEST_MISMATCH',
    message: (h) => `registry ${h} answered blob h/app@${BLOB_DIGEST} with content whose digest is ${sha('not the blob')}`,
  },
  {
    desc: 'an endless manifest',
    script: (_req, res) => endless(res, { 'content-type': OCI }),
    call: getTag,
    reason: 'TOO_LARGE',
    message: (h) => `registry ${h} sent more than the ${MAX_MANIFEST_BYTES}-byte limit for manifest h/app:1`,
    after: async (server) => {
      await closedBy(server, `/v2/${REPO}/manifests/1`);
    },
  },
  {
    desc: 'an endless blob',
    script: (_req, res) => endless(res, { 'content-type': 'application/octet-stream' }),
    call: getBlob,
    reason: 'TOO_LARGE',
    message: (h) => `registry ${h} sent more than the 1024-byte limit for blob h/app@${BLOB_DIGEST}`,
  },
  {
    desc: 'a blob declaring a size beyond the limit (refused before reading)',
    script: (_req, res) => {
      res.writeHead(200, { 'content-length': 10 * 1024 * 1024 * 1024 });
      res.write('x');
    },
    call: getBlob,
    reason: 'TOO_LARGE',
    message: /sent 10737418240 bytes, more than the 1024-byte limit for blob h\/app@sha256:/,
  },
  {
    desc: 'no answer at all',
    script: () => undefined,
    call: getTag,
    reason: 'UNREACHABLE',
    message: (h) => `registry ${h} did not answer within ${TIMEOUT_MS} ms (GET http://${h}/v2/h/app/manifests/1)`,
  },
  {
    desc: 'an answer that trickles and never ends',
    script: (_req, res) => {
      res.writeHead(200, { 'content-type': OCI });
      res.write('{');
    },
    call: getTag,
    reason: 'UNREACHABLE',
    message: (h) =>
      `registry ${h} did not answer within ${TIMEOUT_MS} ms (GET http://${h}/v2/h/app/manifests/1 while reading manifest h/app:1)`,
  },
  {
    desc: 'a connection broken in the middle of the body',
    script: (_req, res) => {
      res.writeHead(200, { 'content-type': OCI, 'content-length': 1000 });
      res.write('{"schemaVersion":', () => res.destroy());
    },
    call: getTag,
    reason: 'UNREACHABLE',
    message: (h) =>
      `registry ${h} broke off its answer (GET http://${h}/v2/h/app/manifests/1 while reading manifest h/app:1): UND_ERR_SOCKET: other side closed`,
  },
  {
    desc: 'a redirect loop',
    script: (req, res) => answer(res, 307, { location: req.url ?? '/' }),
    call: getBlob,
    reason: 'BAD_RESPONSE',
    message: (h) => `registry ${h} redirected GET http://${h}/v2/h/app/blobs/${BLOB_DIGEST} more than 5 times`,
  },
  {
    desc: 'a redirect to a file: URL',
    script: status(302, { location: 'file:///etc/passwd' }),
    call: getBlob,
    reason: 'BAD_RESPONSE',
    message: (h) => `refused to fetch file:///etc/passwd for registry ${h} over file:`,
  },
  {
    desc: 'a 500',
    script: status(500, { 'content-type': 'text/plain' }, 'boom'),
    call: getTag,
    reason: 'UNREACHABLE',
    message: (h) => `registry ${h} could not answer for manifest h/app:1 (500); try again later`,
  },
  {
    desc: 'a 429 with the registry error body',
    script: status(429, { 'content-type': 'application/json' }, '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'),
    call: getTag,
    reason: 'UNREACHABLE',
    message: (h) => `registry ${h} could not answer for manifest h/app:1 (429 "TOOMANYREQUESTS: slow down"); try again later`,
  },
  {
    desc: 'a 403',
    script: status(
      403,
      { 'content-type': 'application/json' },
      '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
    ),
    call: getTag,
    reason: 'UNAUTHORIZED',
    message: (h) =>
      `registry ${h} denied access to manifest h/app:1 (403 "DENIED: requested access to the resource is denied"; no credentials are configured for ${h})`,
  },
  {
    desc: 'an unexpected status',
    script: status(418),
    call: getTag,
    reason: 'BAD_RESPONSE',
    message: (h) => `registry ${h} answered 418 for manifest h/app:1`,
  },
  {
    desc: 'a 401 without a challenge',
    script: status(401),
    call: getTag,
    reason: 'UNAUTHORIZED',
    message: (h) => `registry ${h} answered 401 without a WWW-Authenticate challenge`,
  },
  {
    desc: 'a 401 with a scheme nobody here speaks',
    script: status(401, { 'www-authenticate': 'Negotiate' }),
    call: getTag,
    reason: 'UNAUTHORIZED',
    message: (h) => `registry ${h} asks for authentication scheme negotiate, which attestd does not speak (Basic and Bearer only)`,
  },
  {
    desc: 'a Bearer realm that is not http(s)',
    script: status(401, { 'www-authenticate': 'Bearer realm="file:///etc/passwd",service="x"' }),
    call: getTag,
    reason: 'BAD_RESPONSE',
    message: (h) =>
      `registry ${h} sends clients to token service file:///etc/passwd; refused: credentials go to a token service over https only`,
  },
  {
    desc: 'a token service answering HTML',
    script: (req, res) =>
      req.url?.startsWith('/token')
        ? answer(res, 200, { 'content-type': 'text/html' }, '<html>login</html>')
        : answer(res, 401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="s"` }),
    call: getTag,
    reason: 'BAD_RESPONSE',
    message: /^token service http:\/\/127\.0\.0\.1:\d+\/token answered with something other than JSON$/,
  },
  {
    desc: 'a token service answering a token that would inject headers',
    script: (req, res) =>
      req.url?.startsWith('/token')
        ? answer(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ token: 'abc\r\nX-Evil: 1' }))
        : answer(res, 401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token"` }),
    call: getTag,
    reason: 'BAD_RESPONSE',
    message: /answered without a usable "token" or "access_token"$/,
  },
];

describe('FetchRegistryClient against hostile registries', function () {
  this.timeout(60_000);
  let server: ScriptedRegistry;
  let client: FetchRegistryClient;

  beforeEach(async () => {
    server = await startScriptedRegistry();
    client = new FetchRegistryClient({ registries: { [server.host]: { plainHttp: true } }, timeoutMs: TIMEOUT_MS });
  });
  afterEach(async () => server.stop());

  for (const c of cases) {
    it(`refuses ${c.desc}`, async () => {
      server.script = c.script;
      const error = await expectRegistryError(
        c.call(client, server.host),
        c.reason,
        typeof c.message === 'function' ? c.message(server.host) : c.message,
      );
      expect(error.registry).to.equal(server.host);
      expect(error.retryable).to.equal(c.reason === 'UNREACHABLE');
      await c.after?.(server);
    });
  }

  it('bounds an endless body by the limit: the connection is closed instead of read on', async () => {
    server.script = (_req, res) => endless(res, { 'content-type': 'application/octet-stream' });
    await expectRegistryError(getBlob(client, server.host), 'TOO_LARGE');
    // The client cancelled the body: the server sees the connection close while it was still writing.
    const closed = await closedBy(server, `/v2/${REPO}/blobs/${BLOB_DIGEST}`);
    expect(closed.written).to.be.greaterThan(1024);
  });

  it('says a registry that does not listen cannot be reached', async () => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const c = new FetchRegistryClient({ registries: { [host]: { plainHttp: true } } });
    await expectRegistryError(
      getTag(c, host),
      'UNREACHABLE',
      `cannot reach registry ${host} (GET http://${host}/v2/h/app/manifests/1): ECONNREFUSED`,
    );
  });
});
