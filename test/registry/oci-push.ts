import { createHash } from 'node:crypto';
import type { Descriptor } from '../../src/domain/registry-client';

// Pushes through the registry's HTTP API the way cosign does (monolithic blob upload: POST then PUT with the
// digest; manifest PUT), so tests can place signatures, attestations and referrers next to an image.

/** Where to push: the registry's base URL (`http://127.0.0.1:PORT`) and an optional Authorization header value. */
export interface PushTarget {
  baseUrl: string;
  authorization?: string;
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function headers(target: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  return target.authorization === undefined ? extra : { ...extra, authorization: target.authorization };
}

async function expectStatus(response: Response, want: number, what: string): Promise<void> {
  if (response.status !== want) throw new Error(`${what} answered ${response.status}, want ${want}: ${await response.text()}`);
}

/** Uploads a blob (POST /v2/<name>/blobs/uploads/, then PUT <location>?digest=…) and returns its descriptor. */
export async function pushBlob(
  target: PushTarget,
  repository: string,
  bytes: Buffer | string,
  mediaType = 'application/octet-stream',
): Promise<Descriptor> {
  const data = Buffer.from(bytes);
  const digest = sha256Digest(data);
  const start = await fetch(`${target.baseUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: headers(target) });
  await expectStatus(start, 202, `starting a blob upload to ${repository}`);
  await start.body?.cancel();
  const location = new URL(start.headers.get('location') ?? '', target.baseUrl);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headers(target, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }),
    body: data,
  });
  await expectStatus(put, 201, `finishing the blob upload of ${digest} to ${repository}`);
  await put.body?.cancel();
  return { mediaType, digest, size: data.length };
}

/** Puts a manifest (or index) at a tag or digest and returns the digest the registry reports. */
export async function pushManifest(
  target: PushTarget,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer | string,
): Promise<string> {
  const response = await fetch(`${target.baseUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(target, { 'content-type': mediaType }),
    body: Buffer.from(bytes),
  });
  await expectStatus(response, 201, `putting manifest ${repository}:${reference}`);
  await response.body?.cancel();
  const digest = response.headers.get('docker-content-digest') ?? '';
  if (digest !== sha256Digest(Buffer.from(bytes))) throw new Error(`registry reported ${digest} for the manifest it stored`);
  return digest;
}

/** cosign's `sha256-<hex>.sig` / `.att` tag for an image digest. */
export function cosignTag(imageDigest: string, suffix: 'sig' | 'att'): string {
  return `${imageDigest.replace(':', '-')}.${suffix}`;
}

/**
 * Pushes a legacy cosign signature as cosign lays it out: the simple-signing payload as a layer
 * (`application/vnd.dev.cosign.simplesigning.v1+json`) annotated with the base64 signature, a config
 * naming it in `rootfs.diff_ids`, and the manifest at tag `sha256-<hex>.sig`. Returns the manifest digest.
 */
export async function pushCosignSignature(
  target: PushTarget,
  repository: string,
  imageDigest: string,
  payload: Buffer | string,
  signatureBase64: string,
): Promise<{ tag: string; digest: string; manifest: string }> {
  const layer = await pushBlob(target, repository, payload, 'application/vnd.dev.cosign.simplesigning.v1+json');
  layer.annotations = { 'dev.cosignproject.cosign/signature': signatureBase64 };
  const config = JSON.stringify({
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: [{ created: '0001-01-01T00:00:00Z' }],
    os: '',
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    config: {},
  });
  const configDescriptor = await pushBlob(target, repository, config, 'application/vnd.oci.image.config.v1+json');
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: configDescriptor,
    layers: [layer],
  });
  const tag = cosignTag(imageDigest, 'sig');
  const digest = await pushManifest(target, repository, tag, 'application/vnd.oci.image.manifest.v1+json', manifest);
  return { tag, digest, manifest };
}

/**
 * Pushes a legacy cosign attestation as `cosign attest` lays it out: the DSSE envelope as a layer
 * (`application/vnd.dsse.envelope.v1+json`) annotated with its predicateType (and cosign's empty signature
 * annotation), and the manifest at tag `sha256-<hex>.att`. Returns the manifest digest.
 */
export async function pushCosignAttestation(
  target: PushTarget,
  repository: string,
  imageDigest: string,
  envelope: Buffer | string,
  predicateType: string,
): Promise<{ tag: string; digest: string }> {
  const layer = await pushBlob(target, repository, envelope, 'application/vnd.dsse.envelope.v1+json');
  layer.annotations = { 'dev.cosignproject.cosign/signature': '', predicateType };
  const config = await pushBlob(
    target,
    repository,
    JSON.stringify({ rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] });
  const tag = cosignTag(imageDigest, 'att');
  return { tag, digest: await pushManifest(target, repository, tag, 'application/vnd.oci.image.manifest.v1+json', manifest) };
}

/**
 * Pushes an OCI 1.1 artifact manifest with a `subject` (what cosign v3 does with a Sigstore bundle): an empty
 * config, one layer of `layerMediaType` holding `content`, pushed by digest. Returns its descriptor as a referrers list names it.
 */
export async function pushReferrer(
  target: PushTarget,
  repository: string,
  subject: Descriptor,
  artifactType: string,
  layerMediaType: string,
  content: Buffer | string,
  annotations: Record<string, string> = {},
): Promise<Descriptor> {
  const empty = await pushBlob(target, repository, '{}', 'application/vnd.oci.empty.v1+json');
  const layer = await pushBlob(target, repository, content, layerMediaType);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType,
    config: empty,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  });
  const digest = await pushManifest(target, repository, sha256Digest(manifest), 'application/vnd.oci.image.manifest.v1+json', manifest);
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: Buffer.byteLength(manifest), artifactType, annotations };
}

/** Writes the referrers tag schema's index (`sha256-<hex>` → OCI index of the referrers), as clients do for a registry without the referrers API. */
export async function pushReferrersIndex(
  target: PushTarget,
  repository: string,
  subjectDigest: string,
  referrers: Descriptor[],
): Promise<string> {
  const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: referrers });
  return pushManifest(target, repository, subjectDigest.replace(':', '-'), 'application/vnd.oci.image.index.v1+json', index);
}

/** Pushes an OCI index that carries a `subject` and an `artifactType` (an index-shaped referrer) by digest; returns its descriptor. */
export async function pushIndexReferrer(
  target: PushTarget,
  repository: string,
  subject: Descriptor,
  artifactType: string,
  manifests: Descriptor[],
): Promise<Descriptor> {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    artifactType,
    manifests,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
  const digest = await pushManifest(target, repository, sha256Digest(index), 'application/vnd.oci.image.index.v1+json', index);
  return { mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: Buffer.byteLength(index), artifactType };
}
