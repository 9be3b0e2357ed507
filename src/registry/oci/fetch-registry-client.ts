import { createHash } from 'node:crypto';
import { invalidArgument } from '../../domain/api-error';
import { DOCKER_HUB, DOCKER_HUB_ALIASES, parseDigest, parseImageReference, type ImageReference } from '../../domain/image-reference';
import {
  type Descriptor,
  type Manifest,
  MANIFEST_MEDIA_TYPES,
  OCI_INDEX,
  type RegistryClient,
  type RepositoryRef,
} from '../../domain/registry-client';
import { RegistryError } from '../../domain/registry-error';
import type { CallContext } from './fetch-with-redirects';
import { contentTypeOf, parseManifest } from './parse-manifest';
import { discardBody } from './read-bounded-body';
import { RegistryCredentials } from './registry-credentials';
import { normalizeRepository, registryEndpoint } from './registry-endpoint';
import { type RegistryOptions, RegistryTransport } from './registry-transport';

/** Largest manifest or index read (what CNCF Distribution accepts by default). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Pages of a tags or referrers list followed at most. */
const MAX_PAGES = 100;
const TAG = /^\w[\w.-]{0,127}$/;
const ACCEPT_MANIFESTS = MANIFEST_MEDIA_TYPES.join(', ');

/** How a FetchRegistryClient reaches registries. */
export interface FetchRegistryClientOptions {
  /** Credentials by registry host (from loadRegistryCredentials); anonymous without. */
  credentials?: RegistryCredentials;
  /** Options per registry host, e.g. `{"127.0.0.1:5000": {"plainHttp": true}}`; https everywhere else. */
  registries?: Readonly<Record<string, RegistryOptions>>;
  /** Deadline of one operation, every request, redirect, token fetch and body read included (default 30 s). */
  timeoutMs?: number;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number;
  /** Milliseconds since the epoch, for token expiry (default Date.now). */
  now?: () => number;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function registryKey(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.includes(lower) ? DOCKER_HUB : lower;
}

/** The next page of a paginated list (`Link: </v2/…?last=x>; rel="next"`), as a path on the same registry. */
function nextPage(response: Response, registry: string): string | undefined {
  const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(response.headers.get('link') ?? '');
  if (match === null) return undefined;
  const here = new URL(response.url || registryEndpoint(registry, false));
  const url = new URL(match[1]!, here);
  if (url.host !== here.host) {
    throw new RegistryError('BAD_RESPONSE', registry, `registry ${registry} pointed the next page of a list at another host (${url.host})`);
  }
  return url.pathname + url.search;
}

/**
 * A registry client over Node's fetch, speaking the OCI distribution API: bounded reads, one deadline per
 * operation, verified digests, Basic and Bearer authentication. See ADR 0014.
 */
export class FetchRegistryClient implements RegistryClient {
  private readonly transport: RegistryTransport;

  constructor(options: FetchRegistryClientOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const maxRedirects = options.maxRedirects ?? 5;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw invalidArgument(`timeoutMs must be a positive integer, got ${timeoutMs}`);
    if (!Number.isSafeInteger(maxRedirects) || maxRedirects < 0) {
      throw invalidArgument(`maxRedirects must be a non-negative integer, got ${maxRedirects}`);
    }
    const registries = Object.fromEntries(Object.entries(options.registries ?? {}).map(([host, o]) => [registryKey(host), { ...o }]));
    this.transport = new RegistryTransport({
      credentials: options.credentials ?? RegistryCredentials.none(),
      registries,
      timeoutMs,
      maxRedirects,
      now: options.now ?? Date.now,
    });
  }

  async resolveTag(image: ImageReference | string): Promise<string> {
    const ref = typeof image === 'string' ? parseImageReference(image) : image;
    if (ref.digest !== undefined) return ref.digest;
    const repo = normalizeRepository(ref);
    const tag = ref.tag ?? 'latest';
    checkReference(tag);
    const ctx = this.transport.begin(repo.registry);
    const what = `manifest ${repo.repository}:${tag}`;
    const head = await this.transport.send(ctx, {
      method: 'HEAD',
      path: `/v2/${repo.repository}/manifests/${tag}`,
      accept: ACCEPT_MANIFESTS,
      scope: `repository:${repo.repository}:pull`,
      what,
      pass: [405, 501],
    });
    await discardBody(head);
    const digest = head.headers.get('docker-content-digest') ?? '';
    const size = Number(head.headers.get('content-length') ?? 0);
    if (
      head.ok &&
      /^sha256:[a-f0-9]{64}$/.test(digest) &&
      MANIFEST_MEDIA_TYPES.includes(contentTypeOf(head)) &&
      size <= MAX_MANIFEST_BYTES
    ) {
      return digest;
    }
    // No usable digest header (or HEAD not served): the digest of the manifest's bytes.
    return (await this.fetchManifest(ctx, repo, tag)).digest;
  }

  async getManifest(repository: RepositoryRef, reference: string): Promise<Manifest> {
    const repo = normalizeRepository(repository);
    checkReference(reference);
    return this.fetchManifest(this.transport.begin(repo.registry), repo, reference);
  }

  async getBlob(repository: RepositoryRef, digest: string, maxBytes: number): Promise<Buffer> {
    const repo = normalizeRepository(repository);
    parseDigest(digest, 'blob digest');
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw invalidArgument(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    const ctx = this.transport.begin(repo.registry);
    const what = `blob ${repo.repository}@${digest}`;
    const response = await this.transport.send(ctx, {
      method: 'GET',
      path: `/v2/${repo.repository}/blobs/${digest}`,
      scope: `repository:${repo.repository}:pull`,
      what,
    });
    const bytes = await this.transport.read(ctx, response, maxBytes, what);
    const actual = sha256(bytes);
    if (actual !== digest) {
      throw new RegistryError(
        'DIGEST_MISMATCH',
        repo.registry,
        `registry ${repo.registry} answered ${what} with content whose digest is ${actual}`,
      );
    }
    return bytes;
  }

  async referrers(repository: RepositoryRef, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const repo = normalizeRepository(repository);
    parseDigest(digest, 'subject digest');
    const ctx = this.transport.begin(repo.registry);
    const what = `referrers of ${repo.repository}@${digest}`;
    const filter = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    let path: string | undefined = `/v2/${repo.repository}/referrers/${digest}${filter}`;
    const found: Descriptor[] = [];
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_PAGES)
        throw new RegistryError('BAD_RESPONSE', repo.registry, `registry ${repo.registry} sent more than ${MAX_PAGES} pages of ${what}`);
      const response = await this.transport.send(ctx, {
        method: 'GET',
        path,
        accept: OCI_INDEX,
        scope: `repository:${repo.repository}:pull`,
        what,
        pass: [404],
      });
      if (response.status === 404) {
        await discardBody(response);
        // No referrers API (CNCF Distribution 2.x): the referrers tag schema, an index tagged sha256-<hex>.
        if (page === 0) return this.referrersByTag(ctx, repo, digest, artifactType);
        throw new RegistryError('NOT_FOUND', repo.registry, `registry ${repo.registry} lost page ${page + 1} of ${what} (404)`, 404);
      }
      const bytes = await this.transport.read(ctx, response, MAX_MANIFEST_BYTES, what);
      const content = parseManifest(bytes, contentTypeOf(response), repo.registry, what);
      if (content.mediaType !== OCI_INDEX) {
        throw new RegistryError(
          'NOT_A_MANIFEST',
          repo.registry,
          `registry ${repo.registry} answered ${what} with a ${content.mediaType}, not an OCI index`,
        );
      }
      found.push(...content.manifests);
      path = nextPage(response, repo.registry);
    }
    return artifactType === undefined ? found : found.filter((d) => d.artifactType === artifactType);
  }

  async tags(repository: RepositoryRef): Promise<string[]> {
    const repo = normalizeRepository(repository);
    const ctx = this.transport.begin(repo.registry);
    const what = `tags of ${repo.repository}`;
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo.repository}/tags/list?n=1000`;
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_PAGES)
        throw new RegistryError('BAD_RESPONSE', repo.registry, `registry ${repo.registry} sent more than ${MAX_PAGES} pages of ${what}`);
      const response = await this.transport.send(ctx, {
        method: 'GET',
        path,
        accept: 'application/json',
        scope: `repository:${repo.repository}:pull`,
        what,
      });
      const bytes = await this.transport.read(ctx, response, MAX_MANIFEST_BYTES, what);
      let list: unknown;
      try {
        list = (JSON.parse(bytes.toString('utf8')) as { tags?: unknown })?.tags;
      } catch {
        throw new RegistryError(
          'BAD_RESPONSE',
          repo.registry,
          `registry ${repo.registry} answered ${contentTypeOf(response) || 'something'} that is not JSON for ${what}`,
        );
      }
      if (list !== null && list !== undefined && (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))) {
        throw new RegistryError(
          'BAD_RESPONSE',
          repo.registry,
          `registry ${repo.registry} answered ${what} without a list of strings in "tags"`,
        );
      }
      tags.push(...((list as string[] | null | undefined) ?? []));
      path = nextPage(response, repo.registry);
    }
    return tags;
  }

  /** The referrers tag schema: the OCI index at tag `sha256-<hex>`, or none when that tag does not exist. */
  private async referrersByTag(ctx: CallContext, repo: RepositoryRef, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const tag = digest.replace(':', '-');
    let index: Manifest;
    try {
      index = await this.fetchManifest(ctx, repo, tag);
    } catch (err) {
      if (err instanceof RegistryError && err.reason === 'NOT_FOUND') return [];
      throw err;
    }
    if (index.mediaType !== OCI_INDEX) {
      throw new RegistryError(
        'NOT_A_MANIFEST',
        repo.registry,
        `registry ${repo.registry} holds a ${index.mediaType} at referrers tag ${repo.repository}:${tag}, not an OCI index`,
      );
    }
    const found = index.content.manifests;
    return artifactType === undefined ? found : found.filter((d) => d.artifactType === artifactType);
  }

  private async fetchManifest(ctx: CallContext, repo: RepositoryRef, reference: string): Promise<Manifest> {
    const byDigest = reference.includes(':');
    const what = `manifest ${repo.repository}${byDigest ? '@' : ':'}${reference}`;
    const response = await this.transport.send(ctx, {
      method: 'GET',
      path: `/v2/${repo.repository}/manifests/${reference}`,
      accept: ACCEPT_MANIFESTS,
      scope: `repository:${repo.repository}:pull`,
      what,
    });
    const bytes = await this.transport.read(ctx, response, MAX_MANIFEST_BYTES, what);
    const contentType = contentTypeOf(response);
    const digest = sha256(bytes);
    const header = response.headers.get('docker-content-digest');
    const mismatch = (claimed: string): RegistryError =>
      new RegistryError(
        'DIGEST_MISMATCH',
        repo.registry,
        `registry ${repo.registry} answered ${what} with content whose digest is ${digest}, not ${claimed}`,
      );
    // "Not a manifest" first when it is not one: that says more than a digest mismatch would.
    const content = parseManifest(bytes, contentType, repo.registry, what);
    if (byDigest && digest !== reference) throw mismatch(reference);
    if (header !== null && header.startsWith('sha256:') && header !== digest) throw mismatch(header);
    return { digest, mediaType: content.mediaType, bytes, content };
  }
}

/** A tag or a sha256 digest; anything else is INVALID_ARGUMENT. */
function checkReference(reference: string): void {
  if (typeof reference !== 'string' || reference === '')
    throw invalidArgument('manifest reference is empty: give a tag or a sha256 digest');
  if (reference.includes(':')) {
    parseDigest(reference, 'manifest reference');
    return;
  }
  if (!TAG.test(reference)) {
    throw invalidArgument(
      `manifest reference ${JSON.stringify(reference.slice(0, 140))} is neither a tag (1 to 128 letters, digits, "_", "." or "-") nor a sha256 digest`,
    );
  }
}
