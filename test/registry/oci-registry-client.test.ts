import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseImageReference } from '../../src/domain/image-reference';
import { OCI_INDEX, OCI_MANIFEST, type Descriptor, type RepositoryRef } from '../../src/domain/registry-client';
import { FetchRegistryClient } from '../../src/registry/oci/fetch-registry-client';
import { expectInvalidArgument, expectRegistryError } from './expect-registry-error';
import { cosignTag, pushCosignSignature, pushIndexReferrer, pushReferrer, pushReferrersIndex, sha256Digest } from './oci-push';
import { buildOciImage, REGISTRY_TOOLS, requireTools, skopeoPush, startDockerRegistry, type DockerRegistry } from './start-docker-registry';

// The registry client against the real thing: Debian's docker-registry (CNCF Distribution 2.8, no referrers
// API), an OCI image built with umoci and pushed with skopeo, cosign-style artifacts pushed through the
// registry API. Byte-for-byte checks against the OCI layout skopeo pushed from.

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

describe('FetchRegistryClient against docker-registry', function () {
  this.timeout(180_000);
  let dir = '';
  let registry: DockerRegistry | undefined;
  let client: FetchRegistryClient;
  let repo: RepositoryRef;
  let digest = '';

  /** A blob of the OCI layout skopeo pushed from. */
  const layoutBlob = (d: string): Buffer => fs.readFileSync(path.join(dir, 'oci', 'blobs', 'sha256', d.slice('sha256:'.length)));

  before(async function () {
    requireTools(this, Object.values(REGISTRY_TOOLS), 'the registry client tests');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-oci-client-'));
    await buildOciImage(dir);
    registry = await startDockerRegistry(path.join(dir, 'registry'));
    digest = await skopeoPush(dir, `${registry.host}/team/app:1.0`);
    client = new FetchRegistryClient({ registries: { [registry.host]: { plainHttp: true } } });
    repo = { registry: registry.host, repository: 'team/app' };
  });

  after(async () => {
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves a tag to the digest skopeo pushed (HEAD, Docker-Content-Digest), from a string or a parsed reference', async () => {
    expect(await client.resolveTag(`${registry!.host}/team/app:1.0`)).to.equal(digest);
    expect(await client.resolveTag(parseImageReference(`${registry!.host}/team/app:1.0`))).to.equal(digest);
    // An image already pinned by digest needs no lookup.
    const pinned = `${registry!.host}/team/app:other@sha256:${'a'.repeat(64)}`;
    expect(await client.resolveTag(pinned)).to.equal(`sha256:${'a'.repeat(64)}`);
  });

  it('reads the manifest by tag and by digest, byte for byte as pushed, and its blobs verified against their digests', async () => {
    const byTag = await client.getManifest(repo, '1.0');
    const byDigest = await client.getManifest(repo, digest);
    expect(byTag.digest).to.equal(digest);
    expect(byDigest.digest).to.equal(digest);
    expect(byTag.mediaType).to.equal(OCI_MANIFEST);
    expect(byTag.bytes.equals(layoutBlob(digest))).to.equal(true);
    expect(sha256Digest(byDigest.bytes)).to.equal(digest);
    const { config, layers } = byTag.content;
    expect(config?.mediaType).to.equal('application/vnd.oci.image.config.v1+json');
    expect(layers).to.have.length.greaterThan(0);
    for (const d of [config!, ...layers]) {
      const blob = await client.getBlob(repo, d.digest, d.size);
      expect(blob.equals(layoutBlob(d.digest)), d.digest).to.equal(true);
    }
    expect(JSON.parse((await client.getBlob(repo, config!.digest, config!.size)).toString('utf8'))).to.have.property(
      'architecture',
      'amd64',
    );
  });

  it('refuses a blob larger than the caller allows, and says which', async () => {
    const { layers } = (await client.getManifest(repo, digest)).content;
    const layer = layers[0]!;
    const error = await expectRegistryError(client.getBlob(repo, layer.digest, layer.size - 1), 'TOO_LARGE');
    expect(error.message)
      .to.contain(`blob team/app@${layer.digest}`)
      .and.contain(`${layer.size - 1}-byte limit`);
  });

  it('answers NOT_FOUND for a missing tag, digest, blob or repository, naming what is missing', async () => {
    await expectRegistryError(
      client.getManifest(repo, 'nope'),
      'NOT_FOUND',
      /^registry 127\.0\.0\.1:\d+ has no manifest team\/app:nope \(404 "MANIFEST_UNKNOWN: manifest unknown"\)$/,
    );
    await expectRegistryError(client.resolveTag(`${registry!.host}/team/app:nope`), 'NOT_FOUND', /has no manifest team\/app:nope/);
    await expectRegistryError(client.getManifest(repo, `sha256:${'0'.repeat(64)}`), 'NOT_FOUND', /has no manifest team\/app@sha256:0{64}/);
    await expectRegistryError(client.getBlob(repo, `sha256:${'0'.repeat(64)}`, 1024), 'NOT_FOUND', /has no blob team\/app@sha256:0{64}/);
    await expectRegistryError(
      client.getManifest({ registry: registry!.host, repository: 'team/missing' }, '1.0'),
      'NOT_FOUND',
      /has no manifest team\/missing:1.0 \(404/,
    );
    await expectRegistryError(
      client.tags({ registry: registry!.host, repository: 'team/missing' }),
      'NOT_FOUND',
      /has no tags of team\/missing/,
    );
  });

  it('refuses malformed arguments with INVALID_ARGUMENT before asking the registry', async () => {
    await expectInvalidArgument(client.getManifest(repo, 'bad tag'), /neither a tag .* nor a sha256 digest/);
    await expectInvalidArgument(client.getManifest(repo, `sha512:${'a'.repeat(128)}`), /only sha256 digests are supported/);
    await expectInvalidArgument(client.getBlob(repo, 'sha256:abc', 10), /exactly 64 hex digits/);
    await expectInvalidArgument(client.getBlob(repo, digest, -1), /maxBytes must be a non-negative integer/);
    await expectInvalidArgument(
      client.getManifest({ registry: 'myregistry', repository: 'team/app' }, '1.0'),
      /"myregistry" is not a registry host/,
    );
    await expectInvalidArgument(client.getManifest({ registry: registry!.host, repository: 'Team/App' }, '1.0'), /must be lower case/);
    await expectInvalidArgument(client.resolveTag('127.0.0.1:5000/team/app:-x'), /tag "-x"/);
  });

  it('speaks https unless the registry is configured for plain HTTP', async () => {
    const strict = new FetchRegistryClient({ timeoutMs: 10_000 });
    const error = await expectRegistryError(strict.getManifest(repo, '1.0'), 'UNREACHABLE', /set plainHttp for this registry/);
    expect(error.message).to.contain(`https://${registry!.host}/v2/team/app/manifests/1.0`);
    expect(error.retryable).to.equal(true);
  });

  it('lists tags', async () => {
    expect(await client.tags(repo)).to.include('1.0');
  });

  it('reads a cosign signature pushed as cosign does, at its sha256-<hex>.sig tag', async () => {
    const payload = JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${registry!.host}/team/app` },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    });
    const pushed = await pushCosignSignature({ baseUrl: registry!.baseUrl }, 'team/app', digest, payload, 'c2lnbmF0dXJl');
    expect(pushed.tag).to.equal(cosignTag(digest, 'sig'));
    expect(await client.tags(repo)).to.include(pushed.tag);
    const sig = await client.getManifest(repo, pushed.tag);
    expect(sig.digest).to.equal(pushed.digest);
    expect(sig.bytes.toString('utf8')).to.equal(pushed.manifest);
    const layer = sig.content.layers[0]!;
    expect(layer).to.deep.include({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' });
    expect(layer.annotations).to.deep.equal({ 'dev.cosignproject.cosign/signature': 'c2lnbmF0dXJl' });
    expect((await client.getBlob(repo, layer.digest, 64 * 1024)).toString('utf8')).to.equal(payload);
  });

  it('finds referrers through the referrers tag schema when the registry has no referrers API', async () => {
    // docker-registry 2.8 answers the referrers API with 404: the client falls back to the sha256-<hex> tag.
    const probe = await fetch(`${registry!.baseUrl}/v2/team/app/referrers/${digest}`);
    await probe.body?.cancel();
    expect(probe.status).to.equal(404);
    expect(await client.referrers(repo, digest)).to.deep.equal([]);

    const image = await client.getManifest(repo, digest);
    const subject: Descriptor = { mediaType: image.mediaType, digest, size: image.bytes.length };
    const target = { baseUrl: registry!.baseUrl };
    const bundle = await pushReferrer(
      target,
      'team/app',
      subject,
      BUNDLE,
      BUNDLE,
      '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}',
      {
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      },
    );
    const index = await pushIndexReferrer(target, 'team/app', subject, 'application/vnd.example.sbom.index', [subject]);
    await pushReferrersIndex(target, 'team/app', digest, [bundle, index]);

    const all = await client.referrers(repo, digest);
    expect(all.map((d) => d.digest)).to.deep.equal([bundle.digest, index.digest]);
    expect(all[0]).to.deep.equal(bundle);
    expect(await client.referrers(repo, digest, BUNDLE)).to.deep.equal([bundle]);
    expect(await client.referrers(repo, digest, 'application/vnd.example.none')).to.deep.equal([]);

    // Each referrer reads back by digest with its subject.
    const artifact = await client.getManifest(repo, bundle.digest);
    expect(artifact.content).to.deep.include({ artifactType: BUNDLE, subject });
    const indexReferrer = await client.getManifest(repo, index.digest);
    expect(indexReferrer.mediaType).to.equal(OCI_INDEX);
    expect(indexReferrer.content.subject).to.deep.equal(subject);
    expect(indexReferrer.content.manifests).to.deep.equal([subject]);
  });
});
