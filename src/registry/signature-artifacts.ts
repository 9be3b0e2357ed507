import { OCI_MANIFEST, type Descriptor, type Manifest, type RegistryClient, type RepositoryRef } from '../domain/registry-client';
import { RegistryError } from '../domain/registry-error';
import { MAX_PAYLOAD_BYTES } from '../signing/simple-signing';

/** The layer media type of a cosign simple-signing payload (`sha256-<hex>.sig`). */
export const COSIGN_SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding cosign's base64 signature over the payload. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The layer media type of a DSSE envelope (`cosign attest`, `sha256-<hex>.att`). */
export const DSSE_ENVELOPE_LAYER = 'application/vnd.dsse.envelope.v1+json';
/** Sigstore bundles (cosign v3), any version: `application/vnd.dev.sigstore.bundle.v0.3+json`, `…bundle+json;version=0.3`. */
const SIGSTORE_BUNDLE = /^application\/vnd\.dev\.sigstore\.bundle/;
/** cosign's tags: `sha256-<hex>.sig` (signatures) and `.att` (attestations) next to the image. */
const COSIGN_TAG = /^sha256-([a-f0-9]{64})\.(sig|att)$/;
/** Most layers of one signature manifest looked at (cosign writes one per signature). */
export const MAX_SIGNATURE_LAYERS = 16;
/** Largest envelope or bundle blob read: a DSSE payload of 1 MiB in base64 plus signatures and certificates. */
export const MAX_ENVELOPE_BLOB_BYTES = 2 * 1024 * 1024;

/** One signed thing of a signature manifest, as the registry served it. */
export type SignedArtifact =
  | { readonly form: 'simple-signing'; readonly where: string; readonly payload: Buffer; readonly signature: string }
  | { readonly form: 'dsse' | 'sigstore-bundle'; readonly where: string; readonly document: unknown };

/** What a signature manifest holds: the image it signs, its readable artifacts, and why the others could not be read. */
export interface SignatureManifest {
  /** `sha256:<hex>` of the signed image. */
  readonly subject: string;
  readonly artifacts: SignedArtifact[];
  readonly unreadable: string[];
}

/** The image digest a cosign tag names (`sha256-<hex>.sig` → `sha256:<hex>`); undefined for other tags. */
export function cosignTagSubject(tag: string): string | undefined {
  const m = COSIGN_TAG.exec(tag);
  return m ? `sha256:${m[1]}` : undefined;
}

/**
 * Whether a pushed manifest may hold signatures to import: a cosign `.sig` / `.att` tag, or an OCI image manifest
 * pushed by digest (an OCI 1.1 referrer such as cosign v3's Sigstore bundle is pushed untagged, with a `subject`).
 */
export function importCandidate(tag: string, mediaType: string): boolean {
  if (tag !== '') return cosignTagSubject(tag) !== undefined;
  return mediaType === OCI_MANIFEST;
}

/**
 * Reads a signature manifest: its subject (the `subject` descriptor, else the cosign tag's digest) and every layer
 * attestd verifies — simple-signing payloads with their signature annotation, DSSE envelopes, Sigstore bundles —
 * each blob read within its bound and checked against its digest. A layer that cannot be read for a reason another
 * attempt will not change is listed in `unreadable`; a registry that cannot be reached throws (the caller retries).
 * Answers a string saying why when the manifest is not a signature manifest at all.
 */
export async function readSignatureManifest(
  client: RegistryClient,
  repository: RepositoryRef,
  manifest: Manifest,
  tag: string,
): Promise<SignatureManifest | string> {
  const what = `manifest ${repository.repository}@${manifest.digest}`;
  const fromTag = cosignTagSubject(tag);
  const subject = manifest.content.subject?.digest;
  if (subject !== undefined && !/^sha256:[a-f0-9]{64}$/.test(subject)) return `${what} has a subject that is not a sha256 digest`;
  if (subject !== undefined && fromTag !== undefined && subject !== fromTag) {
    return `${what} at tag ${tag} names subject ${subject}, not ${fromTag}`;
  }
  const signed = subject ?? fromTag;
  if (signed === undefined) return `${what} is not a signature: it has no subject and is not at a cosign tag (sha256-<hex>.sig or .att)`;
  if (manifest.content.layers.length === 0) return `${what} has no layers`;
  const artifacts: SignedArtifact[] = [];
  const unreadable: string[] = [];
  const layers = manifest.content.layers;
  if (layers.length > MAX_SIGNATURE_LAYERS)
    unreadable.push(`${what} has ${layers.length} layers; only the first ${MAX_SIGNATURE_LAYERS} are read`);
  for (const [i, layer] of layers.slice(0, MAX_SIGNATURE_LAYERS).entries()) {
    const where = `${what} layer ${i} (${layer.mediaType})`;
    const read = await readLayer(client, repository, layer, where);
    if (typeof read === 'string') unreadable.push(read);
    else artifacts.push(read);
  }
  return { subject: signed, artifacts, unreadable };
}

async function readLayer(
  client: RegistryClient,
  repository: RepositoryRef,
  layer: Descriptor,
  where: string,
): Promise<SignedArtifact | string> {
  const kind =
    layer.mediaType === COSIGN_SIMPLE_SIGNING
      ? 'simple-signing'
      : layer.mediaType === DSSE_ENVELOPE_LAYER
        ? 'dsse'
        : SIGSTORE_BUNDLE.test(layer.mediaType)
          ? 'sigstore-bundle'
          : undefined;
  if (kind === undefined)
    return `${where}: attestd imports cosign simple signing, DSSE envelopes and Sigstore bundles, not this media type`;
  const limit = kind === 'simple-signing' ? MAX_PAYLOAD_BYTES : MAX_ENVELOPE_BLOB_BYTES;
  if (layer.size > limit) return `${where} is ${layer.size} bytes; the limit is ${limit}`;
  let bytes: Buffer;
  try {
    bytes = await client.getBlob(repository, layer.digest, limit);
  } catch (err) {
    if (err instanceof RegistryError && !err.retryable) return `${where}: ${err.message}`;
    throw err;
  }
  if (kind === 'simple-signing') {
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    if (signature === undefined || signature === '') return `${where} has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`;
    return { form: kind, where, payload: bytes, signature };
  }
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return `${where} is not UTF-8 JSON`;
  }
  return { form: kind, where, document };
}
