import {
  type Descriptor,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  type ManifestContent,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../../domain/registry-client';
import { RegistryError } from '../../domain/registry-error';
import { quoteRemote } from './registry-status-error';

/** OCI's digest grammar (algorithm ":" encoded). */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Content types that may carry a manifest whose type is only in its body. */
const GENERIC_JSON = ['', 'application/json'];

/** The media type of a Content-Type header: parameters dropped, lower case. */
export function contentTypeOf(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

type Fail = (problem: string) => never;

function stringMap(value: unknown, where: string, fail: Fail): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${where} is not an object`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.some(([, v]) => typeof v !== 'string')) fail(`${where} has a value that is not a string`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Checks one descriptor's shape; `fail` says where. */
export function parseDescriptor(value: unknown, where: string, fail: Fail): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} is not an object`);
  const v = value as Record<string, unknown>;
  if (typeof v.mediaType !== 'string' || v.mediaType === '') fail(`${where}.mediaType is missing`);
  if (typeof v.digest !== 'string' || !DIGEST.test(v.digest)) fail(`${where}.digest is not a digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) fail(`${where}.size is not a non-negative integer`);
  const descriptor: Descriptor = { mediaType: v.mediaType, digest: v.digest, size: v.size };
  if (v.artifactType !== undefined) {
    if (typeof v.artifactType !== 'string') fail(`${where}.artifactType is not a string`);
    descriptor.artifactType = v.artifactType;
  }
  const annotations = stringMap(v.annotations, `${where}.annotations`, fail);
  if (annotations !== undefined) descriptor.annotations = annotations;
  if (typeof v.data === 'string') descriptor.data = v.data;
  return descriptor;
}

function descriptors(value: unknown, where: string, fail: Fail): Descriptor[] {
  if (!Array.isArray(value)) fail(`"${where}" is not an array`);
  return (value as unknown[]).map((d, i) => parseDescriptor(d, `${where}[${i}]`, fail));
}

/**
 * Checks that bytes served with `contentType` are an OCI or Docker schema 2 manifest or index and returns its
 * content; anything else (HTML, other JSON, schema 1) is NOT_A_MANIFEST, naming what the registry answered.
 */
export function parseManifest(bytes: Buffer, contentType: string, registry: string, what: string): ManifestContent {
  const notManifest = (problem: string): never => {
    throw new RegistryError(
      'NOT_A_MANIFEST',
      registry,
      `registry ${registry} answered ${problem} for ${what}, not an OCI or Docker manifest`,
    );
  };
  const known = MANIFEST_MEDIA_TYPES.includes(contentType);
  if (!known && !GENERIC_JSON.includes(contentType)) notManifest(contentType);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return notManifest(`${contentType || 'a body without a content type'} that is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return notManifest('JSON that is not an object');
  const m = doc as Record<string, unknown>;
  if (m.schemaVersion !== 2) {
    return notManifest(
      m.schemaVersion === undefined
        ? 'JSON without a schemaVersion'
        : `JSON with schemaVersion ${quoteRemote(JSON.stringify(m.schemaVersion))}`,
    );
  }
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (known && declared !== undefined && declared !== contentType) {
    notManifest(`${contentType} holding a manifest that declares mediaType ${quoteRemote(declared)}`);
  }
  // OCI lets a manifest leave mediaType out; then its shape says which it is.
  const mediaType = known ? contentType : (declared ?? (Array.isArray(m.manifests) ? OCI_INDEX : OCI_MANIFEST));
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) notManifest(`JSON declaring mediaType ${quoteRemote(mediaType)}`);
  const fail: Fail = (problem) => notManifest(`a ${mediaType} whose ${problem}`);
  const content: ManifestContent = { mediaType, layers: [], manifests: [] };
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    content.manifests = descriptors(m.manifests, 'manifests', fail);
  } else {
    content.config = parseDescriptor(m.config, 'config', fail);
    content.layers = descriptors(m.layers, 'layers', fail);
  }
  if (m.artifactType !== undefined) {
    if (typeof m.artifactType !== 'string') fail('artifactType is not a string');
    content.artifactType = m.artifactType;
  }
  if (m.subject !== undefined && m.subject !== null) content.subject = parseDescriptor(m.subject, 'subject', fail);
  const annotations = stringMap(m.annotations, 'annotations', fail);
  if (annotations !== undefined) content.annotations = annotations;
  return content;
}
