import { expect } from 'chai';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../src/logger';
import { ImportWorker } from '../../src/registry/import-worker';
import { registryClients } from '../../src/registry/oci/registry-clients';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { startScriptedRegistry, type ScriptedRegistry } from './scripted-registry';

// Imports from registries that answer badly (ADR 0020, ADR 0014): the real registry client against a scripted
// registry. HTML instead of a manifest, a manifest that does not match its digest, an empty answer and a registry
// that is gone end as FAILED or a retry with the reason in hookEvents; nothing is stored. A credentials file that
// cannot be read fails the import with a message naming the file and nothing of its content.

const HEX = 'a'.repeat(64);
const SIG_DIGEST = `sha256:${'b'.repeat(64)}`;

describe('cosign import from hostile registries', function () {
  this.timeout(60_000);
  let registry: ScriptedRegistry;
  let s: MemoryServices;
  let dir = '';
  const pusher = { requestId: 'hook', principal: { subject: 'registry', roles: { p: ['attestor'] } }, transport: 'rest' as const };

  beforeEach(async () => {
    registry = await startScriptedRegistry();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-import-hostile-'));
  });
  afterEach(async () => {
    await registry.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const setUp = async (authFile?: string, digest = SIG_DIGEST): Promise<void> => {
    s = memoryServices({ registryClients: registryClients(authFile) });
    await s.projects.create(s.admin, 'projects/p');
    await s.keys.create(s.admin, 'projects/p', 'k', { keySpec: 'EC_P256', purpose: 'SIGN_VERIFY' });
    await s.witnesses.create(s.admin, 'projects/p', 'ci', { key: 'projects/p/keys/k' });
    await s.importRules.create(s.admin, 'projects/p', 'team', {
      registry: registry.host,
      namespace: 'team',
      witnesses: ['projects/p/witnesses/ci'],
      plainHttp: true,
      enabled: true,
    });
    await s.hooks.receive(
      pusher,
      'distribution',
      'projects/p',
      {
        events: [
          {
            id: 'e1',
            action: 'push',
            target: {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              repository: 'team/app',
              digest,
              tag: `sha256-${HEX}.sig`,
            },
            request: { host: registry.host },
          },
        ],
      },
      '',
    );
  };
  const importOnce = async (): Promise<Record<string, unknown>> => {
    const worker = new ImportWorker(s.uow, s.importer, s.clock, silentLogger(), undefined, { maxAttempts: 3 });
    expect(await worker.runOnce()).to.equal(true);
    const events = await s.hooks.list(s.admin, 'projects/p', { filter: undefined, filterText: '', pageSize: 10, pageToken: undefined });
    return events.items[0]!;
  };
  const nothingStored = async (): Promise<void> => {
    const occurrences = await s.occurrences.list(s.admin, 'projects/p', {
      filter: undefined,
      filterText: '',
      pageSize: 10,
      pageToken: undefined,
    });
    expect(occurrences.items).to.deep.equal([]);
  };

  const cases: Array<{ desc: string; answer: (res: ServerResponse) => void; status: string; reason: RegExp }> = [
    {
      desc: 'an HTML page instead of the manifest',
      answer: (res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Welcome to nginx!</body></html>');
      },
      status: 'FAILED',
      reason: /^registry NOT_A_MANIFEST: /,
    },
    {
      desc: 'a manifest whose bytes are not the digest asked for',
      answer: (res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            config: { mediaType: 'x', digest: SIG_DIGEST, size: 1 },
            layers: [],
          }),
        );
      },
      status: 'FAILED',
      reason: /^registry DIGEST_MISMATCH: /,
    },
    {
      desc: 'an empty answer',
      answer: (res) => {
        res.writeHead(200);
        res.end();
      },
      status: 'FAILED',
      reason: /^registry NOT_A_MANIFEST: /,
    },
    {
      desc: 'nothing there',
      answer: (res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      },
      status: 'FAILED',
      reason: /^registry NOT_FOUND: /,
    },
    {
      desc: 'a registry in trouble (503): retried',
      answer: (res) => {
        res.writeHead(503);
        res.end();
      },
      status: 'PENDING',
      reason: /^registry UNREACHABLE: /,
    },
  ];
  for (const c of cases) {
    it(`${c.desc}: ${c.status} with the reason, nothing stored`, async () => {
      registry.script = (req, res) => (req.url === '/v2/' ? (res.writeHead(200), res.end('{}')) : c.answer(res));
      await setUp();
      const event = await importOnce();
      expect(event).to.deep.include({ status: c.status, attempts: 1, importRule: 'projects/p/importRules/team', occurrences: [] });
      expect(String(event.reason)).to.match(c.reason);
      await nothingStored();
    });
  }

  it('a registry that is gone is retried', async () => {
    await registry.stop();
    await setUp();
    const event = await importOnce();
    expect(event).to.deep.include({ status: 'PENDING', attempts: 1 });
    expect(String(event.reason)).to.match(/^registry UNREACHABLE: /);
    await nothingStored();
  });

  it('a credentials file that cannot be read fails the import, naming the file and nothing of its content', async () => {
    const file = path.join(dir, 'auth.json');
    fs.writeFileSync(file, '{"auths": {"r": {"auth": "c2VjcmV0LXVzZXI6aHVudGVyMg=="}');
    await setUp(file);
    const event = await importOnce();
    expect(event).to.deep.include({ status: 'FAILED', attempts: 1 });
    expect(String(event.reason)).to.match(/^FAILED_PRECONDITION: .*auth\.json.*is not valid JSON/);
    expect(String(event.reason)).to.not.match(/c2VjcmV0|hunter2|secret-user/);
    expect(registry.requests).to.deep.equal([]);
  });

  it('a signature blob far larger than its descriptor says: the read stops at the limit, REJECTED with the reason', async () => {
    const layerDigest = `sha256:${'c'.repeat(64)}`;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'d'.repeat(64)}`, size: 2 },
      layers: [
        {
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
          digest: layerDigest,
          size: 200,
          annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' },
        },
      ],
    });
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    registry.script = (req, res) => {
      if (req.url === `/v2/team/app/manifests/${digest}`) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(manifest);
      } else if (req.url === `/v2/team/app/blobs/${layerDigest}`) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x7b);
        let sent = 0;
        const more = (): void => {
          while (sent < 160 && res.write(chunk)) sent++;
          if (sent < 160) res.once('drain', more);
          else res.end();
        };
        more();
      } else {
        res.writeHead(404);
        res.end();
      }
    };
    await setUp(undefined, digest);
    const event = await importOnce();
    expect(event).to.deep.include({ status: 'REJECTED', attempts: 0, occurrences: [] });
    expect(String(event.reason)).to.match(
      /^manifest team\/app@sha256:[0-9a-f]{64} layer 0 \(application\/vnd\.dev\.cosign\.simplesigning\.v1\+json\): .*65536/,
    );
    expect(registry.closed.find((c) => c.url.includes('/blobs/'))?.written ?? 0).to.be.below(10 * 1024 * 1024);
    await nothingStored();
  });

  it('reads a registry that wants credentials with those of REGISTRY_AUTH_FILE, and shows them nowhere', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const imageDigest = `sha256:${HEX}`;
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${registry.host}/team/app` },
          image: { 'docker-manifest-digest': imageDigest },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    const layerDigest = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'d'.repeat(64)}`, size: 2 },
      layers: [
        {
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
          digest: layerDigest,
          size: payload.length,
          annotations: { 'dev.cosignproject.cosign/signature': sign('sha256', payload, privateKey).toString('base64') },
        },
      ],
    });
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const expected = `Basic ${Buffer.from('ci-reader:hunter2-secret').toString('base64')}`;
    registry.script = (req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' });
        res.end();
      } else if (req.url === `/v2/team/app/manifests/${digest}`) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(manifest);
      } else if (req.url === `/v2/team/app/blobs/${layerDigest}`) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(payload);
      } else {
        res.writeHead(404);
        res.end();
      }
    };
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ auths: { [registry.host]: { username: 'ci-reader', password: 'hunter2-secret' } } }));
    await setUp(file, digest);
    await s.witnesses.update(
      s.admin,
      'projects/p/witnesses/ci',
      { publicKeys: [{ pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), algorithm: 'ECDSA_P256_SHA256' }] },
      undefined,
    );
    const event = await importOnce();
    expect(event, JSON.stringify(event)).to.deep.include({ status: 'IMPORTED', reason: '' });
    expect(registry.requests.some((r) => r.authorization === expected)).to.equal(true);
    const everything = JSON.stringify([
      await s.hooks.list(s.admin, 'projects/p', { filter: undefined, filterText: '', pageSize: 10, pageToken: undefined }),
      await s.importRules.list(s.admin, 'projects/p', 10, undefined),
      await s.occurrences.list(s.admin, 'projects/p', { filter: undefined, filterText: '', pageSize: 10, pageToken: undefined }),
    ]);
    expect(everything).to.not.match(/hunter2|Y2ktcmVhZGVy/);
  });
});
