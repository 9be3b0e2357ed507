import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { parseImageReference } from '../../src/domain/image-reference';
import type { Descriptor, Manifest, RegistryClient, RepositoryRef } from '../../src/domain/registry-client';
import { parseManifest } from '../../src/registry/oci/parse-manifest';
import { RegistryError } from '../../src/domain/registry-error';
import { readSignatureManifest } from '../../src/registry/signature-artifacts';
import { occurrenceMaterial, verifyArtifact } from '../../src/registry/verify-artifact';
import { fixtureBytes, fixtureKey, MANIFEST } from '../support/supply-chain-fixtures';
import { silentLogger } from '../../src/logger';
import { ImportWorker } from '../../src/registry/import-worker';
import { memoryServices, type MemoryServices } from '../support/memory-services';

// Reading and verifying cosign signature manifests (ADR 0020) over the supply-chain fixtures made by real
// signers: the legacy .sig simple signing, the .att DSSE envelope and cosign v3's Sigstore bundle referrer, served
// by an in-memory registry; verified with the fixture key, refused with another; recorded once on the witness's note.

const REPO: RepositoryRef = { registry: 'registry.example.com', repository: 'attestd/demo' };
const IMAGE_DIGEST = MANIFEST.image.digest;
const HEX = IMAGE_DIGEST.slice('sha256:'.length);
const KEY = fixtureKey('keys/ecdsa-p256.pub.pem');
const OTHER = fixtureKey('keys/ecdsa-p256-other.pub.pem');

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A registry in memory: manifests by tag and digest, blobs by digest; `fail` makes a blob read throw. */
class MemoryRegistry implements RegistryClient {
  readonly manifests = new Map<string, Buffer>();
  readonly blobs = new Map<string, Buffer>();
  readonly fail = new Map<string, RegistryError>();
  readonly tagged = new Map<string, string>();
  readonly referring = new Map<string, Descriptor[]>();

  blob(bytes: Buffer | string, mediaType: string, annotations?: Record<string, string>): Descriptor {
    const b = Buffer.from(bytes);
    const digest = digestOf(b);
    this.blobs.set(digest, b);
    return { mediaType, digest, size: b.length, ...(annotations ? { annotations } : {}) };
  }

  manifest(layers: Descriptor[], tag?: string, extra: Record<string, unknown> = {}): string {
    const config = this.blob('{}', 'application/vnd.oci.empty.v1+json');
    const bytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers, ...extra }),
    );
    const digest = digestOf(bytes);
    this.manifests.set(digest, bytes);
    if (tag) this.manifests.set(tag, bytes);
    return digest;
  }

  resolveTag(image: string | { tag?: string; registry: string }): Promise<string> {
    const tag = typeof image === 'string' ? image : (image.tag ?? 'latest');
    const digest = this.tagged.get(tag);
    return digest
      ? Promise.resolve(digest)
      : Promise.reject(new RegistryError('NOT_FOUND', REPO.registry, `manifest ${REPO.repository}:${tag} does not exist`, 404));
  }

  getManifest(repository: RepositoryRef, reference: string): Promise<Manifest> {
    return Promise.resolve().then(() => this.manifestAt(repository, reference));
  }

  private manifestAt(repository: RepositoryRef, reference: string): Manifest {
    const bytes = this.manifests.get(reference);
    if (!bytes)
      throw new RegistryError('NOT_FOUND', repository.registry, `manifest ${repository.repository}:${reference} does not exist`, 404);
    const content = parseManifest(bytes, 'application/vnd.oci.image.manifest.v1+json', repository.registry, `manifest ${reference}`);
    return { digest: digestOf(bytes), mediaType: content.mediaType, bytes, content };
  }

  getBlob(repository: RepositoryRef, digest: string, maxBytes: number): Promise<Buffer> {
    return Promise.resolve().then(() => this.blobAt(repository, digest, maxBytes));
  }

  private blobAt(repository: RepositoryRef, digest: string, maxBytes: number): Buffer {
    const failure = this.fail.get(digest);
    if (failure) throw failure;
    const bytes = this.blobs.get(digest);
    if (!bytes) throw new RegistryError('NOT_FOUND', repository.registry, `blob ${digest} does not exist`, 404);
    if (bytes.length > maxBytes)
      throw new RegistryError('TOO_LARGE', repository.registry, `blob ${digest} is larger than ${maxBytes} bytes`);
    return bytes;
  }

  referrers(_repository: RepositoryRef, digest: string): Promise<Descriptor[]> {
    return Promise.resolve(this.referring.get(digest) ?? []);
  }

  tags(): Promise<string[]> {
    return Promise.resolve([]);
  }
}

function fixtureRegistry(): { registry: MemoryRegistry; sig: string; att: string; bundle: string } {
  const registry = new MemoryRegistry();
  const signature = fixtureBytes('cosign/simplesigning.sig.b64').toString('utf8').trim();
  const payload = registry.blob(fixtureBytes('cosign/simplesigning.payload.json'), 'application/vnd.dev.cosign.simplesigning.v1+json', {
    'dev.cosignproject.cosign/signature': signature,
  });
  const sig = registry.manifest([payload], `sha256-${HEX}.sig`);
  const envelope = registry.blob(fixtureBytes('cosign/attest-legacy-envelope.json'), 'application/vnd.dsse.envelope.v1+json', {
    predicateType: 'https://slsa.dev/provenance/v1',
  });
  const att = registry.manifest([envelope], `sha256-${HEX}.att`);
  const bundleLayer = registry.blob(fixtureBytes('cosign/cosign-v3-sign.sigstore.json'), 'application/vnd.dev.sigstore.bundle.v0.3+json');
  const bundle = registry.manifest([bundleLayer], undefined, {
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: IMAGE_DIGEST, size: 395 },
  });
  return { registry, sig, att, bundle };
}

describe('cosign signature import: reading and verifying signature manifests', () => {
  const image = parseImageReference(`${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`);

  it('reads the .sig, .att and v3 referrer fixtures and verifies each with the signing key, byte for byte', async () => {
    const { registry, sig, att, bundle } = fixtureRegistry();
    const cases = [
      { reference: sig, tag: `sha256-${HEX}.sig`, form: 'simple-signing' },
      { reference: att, tag: `sha256-${HEX}.att`, form: 'dsse' },
      { reference: bundle, tag: '', form: 'sigstore-bundle' },
    ];
    for (const c of cases) {
      const found = await readSignatureManifest(registry, REPO, await registry.getManifest(REPO, c.reference), c.tag);
      if (typeof found === 'string') throw new Error(found);
      expect(found.subject, c.form).to.equal(IMAGE_DIGEST);
      expect(found.unreadable, c.form).to.deep.equal([]);
      expect(found.artifacts).to.have.length(1);
      const verified = verifyArtifact(found.artifacts[0]!, image, [OTHER, KEY]);
      if ('reason' in verified) throw new Error(verified.reason);
      expect(verified.form).to.equal(c.form);
      expect(verified.keyId).to.equal(KEY.keyId);
      expect(occurrenceMaterial(verified.fields)).to.equal(verified.material);
      const refused = verifyArtifact(found.artifacts[0]!, image, [OTHER]);
      expect(refused, c.form)
        .to.have.property('reason')
        .that.matches(/^BAD_SIGNATURE: /);
    }
    const simple = await readSignatureManifest(registry, REPO, await registry.getManifest(REPO, sig), `sha256-${HEX}.sig`);
    if (typeof simple === 'string') throw new Error(simple);
    const verified = verifyArtifact(simple.artifacts[0]!, image, [KEY]);
    if ('reason' in verified) throw new Error(verified.reason);
    const attestation = verified.fields.attestation as {
      serializedPayload: string;
      signatures: Array<{ signature: string; publicKeyId: string }>;
    };
    expect(Buffer.from(attestation.serializedPayload, 'base64').equals(fixtureBytes('cosign/simplesigning.payload.json'))).to.equal(true);
    expect(attestation.signatures).to.deep.equal([
      { signature: fixtureBytes('cosign/simplesigning.sig.b64').toString('utf8').trim(), publicKeyId: KEY.keyId },
    ]);
  });

  it('says why a manifest or layer does not count: not a signature, wrong subject, other image, unknown or oversized layers', async () => {
    const { registry, sig } = fixtureRegistry();
    const plain = registry.manifest([registry.blob('x', 'application/vnd.oci.image.layer.v1.tar+gzip')], 'v1');
    expect(await readSignatureManifest(registry, REPO, await registry.getManifest(REPO, plain), 'v1')).to.match(/is not a signature/);
    const otherHex = 'b'.repeat(64);
    const bundle = fixtureRegistry().bundle;
    const fresh = fixtureRegistry().registry;
    expect(await readSignatureManifest(fresh, REPO, await fresh.getManifest(REPO, bundle), `sha256-${otherHex}.sig`)).to.match(
      /at tag sha256-b+\.sig names subject sha256:93a7.*, not sha256:b+$/,
    );
    // The .sig of the fixture image, pushed as if it were the signature of another digest: the payload names the fixture digest.
    const moved = await readSignatureManifest(registry, REPO, await registry.getManifest(REPO, sig), `sha256-${otherHex}.sig`);
    expect(moved).to.not.be.a('string');
    const found = moved as Exclude<typeof moved, string>;
    const other = parseImageReference(`${REPO.registry}/${REPO.repository}@sha256:${otherHex}`);
    expect(verifyArtifact(found.artifacts[0]!, other, [KEY]))
      .to.have.property('reason')
      .that.matches(/^DIGEST_MISMATCH: /);
    const huge = registry.blob(Buffer.alloc(70 * 1024, 0x20), 'application/vnd.dev.cosign.simplesigning.v1+json', {
      'dev.cosignproject.cosign/signature': 'AAAA',
    });
    const mixed = registry.manifest(
      [huge, registry.blob('<html>', 'text/html'), { ...huge, size: 10, digest: digestOf(Buffer.from('gone')) }],
      `sha256-${HEX}.sig`,
    );
    const read = await readSignatureManifest(registry, REPO, await registry.getManifest(REPO, mixed), `sha256-${HEX}.sig`);
    expect(read).to.not.be.a('string');
    const r = read as Exclude<typeof read, string>;
    expect(r.artifacts).to.deep.equal([]);
    expect(r.unreadable[0]).to.match(/layer 0 .* is 71680 bytes; the limit is 65536/);
    expect(r.unreadable[1]).to.match(/layer 1 \(text\/html\): attestd imports cosign simple signing, DSSE envelopes and Sigstore bundles/);
    expect(r.unreadable[2]).to.match(/layer 2 .*does not exist/);
  });

  it('a registry that cannot be reached throws (retried); a blob that does not match its digest is a reason', async () => {
    const { registry, sig } = fixtureRegistry();
    const manifest = await registry.getManifest(REPO, sig);
    const layer = manifest.content.layers[0]!.digest;
    registry.fail.set(layer, new RegistryError('UNREACHABLE', REPO.registry, 'registry registry.example.com cannot be reached'));
    let thrown: unknown;
    await readSignatureManifest(registry, REPO, manifest, `sha256-${HEX}.sig`).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(RegistryError);
    registry.fail.set(layer, new RegistryError('DIGEST_MISMATCH', REPO.registry, `blob ${layer} does not match its digest`));
    const read = await readSignatureManifest(registry, REPO, manifest, `sha256-${HEX}.sig`);
    expect((read as { unreadable: string[] }).unreadable[0]).to.match(/does not match its digest/);
  });

  it('records verified signatures once on the witness note, whatever the number of imports', async () => {
    const { registry, sig, att, bundle } = fixtureRegistry();
    const s = memoryServices({ registryClients: () => Promise.resolve(registry) });
    await s.projects.create(s.admin, 'projects/p');
    await s.witnesses.create(s.admin, 'projects/p', 'cosign', {
      publicKeys: [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }],
    });
    const witness = { projectId: 'p', witnessId: 'cosign' };
    const names: string[] = [];
    for (const [reference, tag] of [
      [sig, `sha256-${HEX}.sig`],
      [att, `sha256-${HEX}.att`],
      [bundle, ''],
      [sig, `sha256-${HEX}.sig`],
    ] as const) {
      const reading = await s.importer.read({
        ...witness,
        registry: REPO.registry,
        repository: REPO.repository,
        reference,
        tag,
        plainHttp: false,
      });
      expect(reading.rejected).to.deep.equal([]);
      names.push(...(await s.uow.transaction((stores) => s.importer.record(stores, s.admin, witness, reading.image!, reading.verified))));
    }
    expect(new Set(names).size).to.equal(3);
    expect(names[3]).to.equal(names[0]);
    const listed = await s.occurrences.list(s.admin, 'projects/p', {
      filter: undefined,
      filterText: '',
      pageSize: 100,
      pageToken: undefined,
    });
    expect(listed.items.map((o) => o.noteName)).to.deep.equal([
      'projects/p/notes/cosign',
      'projects/p/notes/cosign',
      'projects/p/notes/cosign',
    ]);
    expect(listed.items.every((o) => o.resourceUri === `https://${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`)).to.equal(true);
    await s.clusters.create(s.admin, 'projects/p', 'c1', {});
    await s.policies.create(s.admin, 'projects/p', 'prod', {
      witnesses: ['projects/p/witnesses/cosign'],
      cluster: 'c1',
      namespaces: ['default'],
      enabled: true,
    });
    const verify = (images: string[]) =>
      s.verification.verify(s.admin, 'projects/p', {
        cluster: 'c1',
        namespace: 'default',
        images,
        breakglass: false,
        source: 'verifyImages',
      });
    const { results } = await verify([
      `${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`,
      `${REPO.registry}/elsewhere/demo@${IMAGE_DIGEST}`,
    ]);
    expect(results.map((r) => r.allowed)).to.deep.equal([true, false]);
  });

  describe('through the hook outbox', () => {
    let s: MemoryServices;
    let registry: MemoryRegistry;
    let sig: string;
    let bundle: string;
    const pusher = { requestId: 'hook', principal: { subject: 'registry', roles: { p: ['attestor'] } }, transport: 'rest' as const };
    const push = (id: string, repository: string, digest: string, tag: string) => ({
      events: [
        {
          id,
          action: 'push',
          target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository, digest, tag },
          request: { host: REPO.registry },
        },
      ],
    });
    const events = async (filter = '') =>
      (await s.hooks.list(s.admin, 'projects/p', { filter: undefined, filterText: filter, pageSize: 100, pageToken: undefined })).items;
    const worker = (options = {}) =>
      new ImportWorker(s.uow, s.importer, s.clock, silentLogger(), undefined, { backoffMs: 1000, maxAttempts: 3, ...options });

    beforeEach(async () => {
      ({ registry, sig, bundle } = fixtureRegistry());
      s = memoryServices({ registryClients: () => Promise.resolve(registry) });
      await s.projects.create(s.admin, 'projects/p');
      await s.witnesses.create(s.admin, 'projects/p', 'cosign', {
        publicKeys: [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }],
      });
      await s.witnesses.create(s.admin, 'projects/p', 'other', {
        publicKeys: [{ pem: fixtureBytes('keys/ecdsa-p256-other.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }],
      });
      await s.importRules.create(s.admin, 'projects/p', 'demo', {
        registry: REPO.registry,
        namespace: 'attestd',
        witnesses: ['projects/p/witnesses/cosign', 'projects/p/witnesses/other'],
        enabled: true,
      });
    });

    it('queues one import per witness for a .sig push and a referrer, ignores plain tags, and records what verifies', async () => {
      const got = await s.hooks.receive(pusher, 'distribution', 'projects/p', push('e1', REPO.repository, sig, `sha256-${HEX}.sig`), '');
      expect(got).to.deep.include({ received: 1, accepted: 2, ignored: 0 });
      expect(got.events.map((e) => [e.status, e.importRule, e.witness])).to.deep.equal([
        ['PENDING', 'projects/p/importRules/demo', 'projects/p/witnesses/cosign'],
        ['PENDING', 'projects/p/importRules/demo', 'projects/p/witnesses/other'],
      ]);
      await s.hooks.receive(pusher, 'distribution', 'projects/p', push('e2', REPO.repository, bundle, ''), '');
      const plain = await s.hooks.receive(pusher, 'distribution', 'projects/p', push('e3', REPO.repository, IMAGE_DIGEST, '1.0'), '');
      expect(plain.events[0]).to.deep.include({ status: 'IGNORED' });
      expect(String(plain.events[0]!.reason)).to.match(
        /^not a cosign signature, attestation or referrer \(tag "1.0"\): import rule projects\/p\/importRules\/demo/,
      );
      const elsewhere = await s.hooks.receive(pusher, 'distribution', 'projects/p', push('e4', 'other/demo', sig, `sha256-${HEX}.sig`), '');
      expect(elsewhere.events[0]).to.deep.include({
        status: 'IGNORED',
        reason: `no enabled signing or import rule covers ${REPO.registry}/other/demo`,
      });
      const w = worker();
      while (await w.runOnce()) s.clock.advance(1);
      const done = await events();
      const summary = done.filter((e) => e.importRule !== '').map((e) => [e.witness, e.status, (e.occurrences as string[]).length]);
      expect(summary).to.deep.equal([
        ['projects/p/witnesses/cosign', 'IMPORTED', 1],
        ['projects/p/witnesses/other', 'REJECTED', 0],
        ['projects/p/witnesses/cosign', 'IMPORTED', 1],
        ['projects/p/witnesses/other', 'REJECTED', 0],
      ]);
      expect(String(done[1]!.reason)).to.match(
        /^BAD_SIGNATURE: manifest attestd\/demo@sha256:[0-9a-f]{64} layer 0 \(application\/vnd\.dev\.cosign\.simplesigning\.v1\+json\): no enabled key/,
      );
      const occurrences = await s.occurrences.list(s.admin, 'projects/p', {
        filter: undefined,
        filterText: '',
        pageSize: 100,
        pageToken: undefined,
      });
      expect(occurrences.items.map((o) => o.noteName)).to.deep.equal(['projects/p/notes/cosign', 'projects/p/notes/cosign']);
      // A redelivered event is a no-op; a second push of the same manifest leaves it imported once.
      await s.hooks.receive(pusher, 'distribution', 'projects/p', push('e1', REPO.repository, sig, `sha256-${HEX}.sig`), '');
      await s.hooks.receive(pusher, 'distribution', 'projects/p', push('e5', REPO.repository, sig, `sha256-${HEX}.sig`), '');
      expect(await w.runOnce()).to.equal(false);
      expect(
        (await s.occurrences.list(s.admin, 'projects/p', { filter: undefined, filterText: '', pageSize: 100, pageToken: undefined })).items,
      ).to.have.length(2);
    });

    it('retries a registry that cannot be reached, fails at once on answers that will not change, stores nothing', async () => {
      await s.importRules.update(s.admin, 'projects/p/importRules/demo', { witnesses: ['projects/p/witnesses/cosign'] }, undefined);
      const layer = (await registry.getManifest(REPO, sig)).content.layers[0]!.digest;
      registry.fail.set(
        layer,
        new RegistryError('UNREACHABLE', REPO.registry, `registry ${REPO.registry} cannot be reached: connection refused`),
      );
      await s.hooks.receive(pusher, 'distribution', 'projects/p', push('r1', REPO.repository, sig, `sha256-${HEX}.sig`), '');
      await s.hooks.receive(
        pusher,
        'distribution',
        'projects/p',
        push('r2', REPO.repository, `sha256:${'c'.repeat(64)}`, `sha256-${HEX}.att`),
        '',
      );
      const w = worker();
      expect(await w.runOnce()).to.equal(true);
      expect(await w.runOnce()).to.equal(true);
      expect(await w.runOnce()).to.equal(false);
      const [retrying, missing] = await events();
      expect(retrying).to.deep.include({
        status: 'PENDING',
        attempts: 1,
        reason: `registry UNREACHABLE: registry ${REPO.registry} cannot be reached: connection refused`,
      });
      expect(missing).to.deep.include({ status: 'FAILED', attempts: 1 });
      expect(String(missing!.reason)).to.match(/^registry NOT_FOUND: manifest attestd\/demo:sha256:c+ does not exist/);
      registry.fail.delete(layer);
      s.clock.advance(1000);
      expect(await w.runOnce()).to.equal(true);
      expect((await events())[0]).to.deep.include({ status: 'IMPORTED', attempts: 1, reason: '' });
    });

    it('images:import reads the .sig, .att and referrers of an image pushed earlier, per witness, once', async () => {
      registry.tagged.set('1.0', IMAGE_DIGEST);
      const referrer = await registry.getManifest(REPO, bundle);
      registry.referring.set(IMAGE_DIGEST, [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: referrer.digest, size: referrer.bytes.length },
      ]);
      const answer = await s.imageImports.importImage(s.admin, 'projects/p', `${REPO.registry}/${REPO.repository}:1.0`);
      expect(answer.image).to.equal(`${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`);
      const results = answer.results as Array<Record<string, unknown>>;
      expect(results.map((r) => [String(r.witness).split('/')[3], r.status, String(r.source).split('/').pop()])).to.deep.equal([
        ['cosign', 'IMPORTED', `demo:sha256-${HEX}.sig`],
        ['cosign', 'IMPORTED', `demo:sha256-${HEX}.att`],
        ['cosign', 'IMPORTED', `demo@${referrer.digest}`],
        ['other', 'REJECTED', `demo:sha256-${HEX}.sig`],
        ['other', 'REJECTED', `demo:sha256-${HEX}.att`],
        ['other', 'REJECTED', `demo@${referrer.digest}`],
      ]);
      expect(results.every((r) => r.importRule === 'projects/p/importRules/demo')).to.equal(true);
      expect(String(results[3]!.reason)).to.match(/^BAD_SIGNATURE: /);
      expect(answer.occurrences).to.have.length(3);
      const again = await s.imageImports.importImage(s.admin, 'projects/p', `${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`);
      expect(again.occurrences).to.deep.equal(answer.occurrences);
      const occurrences = await s.occurrences.list(s.admin, 'projects/p', {
        filter: undefined,
        filterText: '',
        pageSize: 100,
        pageToken: undefined,
      });
      expect(occurrences.items).to.have.length(3);
    });

    it('images:import refuses what it cannot do, with the fix: no rule, unknown tag, no permission', async () => {
      const codeOf = async (call: Promise<unknown>) =>
        call.then(
          () => ({ code: 'OK', message: '' }),
          (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
        );
      const uncovered = await codeOf(s.imageImports.importImage(s.admin, 'projects/p', `${REPO.registry}/other/app@${IMAGE_DIGEST}`));
      expect(uncovered.code).to.equal('FAILED_PRECONDITION');
      expect(uncovered.message).to.match(/^no enabled import rule of projects\/p covers registry\.example\.com\/other\/app: create one/);
      const unknown = await codeOf(s.imageImports.importImage(s.admin, 'projects/p', `${REPO.registry}/${REPO.repository}:nope`));
      expect(unknown.code).to.equal('NOT_FOUND');
      expect(unknown.message).to.match(/nope does not exist/);
      const viewer = s.caller({ p: ['viewer'] });
      expect(
        (await codeOf(s.imageImports.importImage(viewer, 'projects/p', `${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`))).code,
      ).to.equal('PERMISSION_DENIED');
      expect((await codeOf(s.imageImports.importImage(s.admin, 'projects/p', ''))).code).to.equal('INVALID_ARGUMENT');
      expect(
        (await codeOf(s.imageImports.importImage(s.admin, 'projects/ghost', `${REPO.registry}/${REPO.repository}@${IMAGE_DIGEST}`))).code,
      ).to.equal('NOT_FOUND');
    });
  });
});
