import { invalidArgument } from './api-error';

/** A parsed, normalized container image reference (Docker's reference grammar, Docker Hub defaults applied). */
export interface ImageReference {
  /** Registry host, lower case, with port if given: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path without the registry: `library/alpine`, `kritis-demo/app`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 lowercase hex>`. */
  digest?: string;
  /** The reference exactly as given. */
  written: string;
}

/** The registry Docker Hub short names resolve to. */
export const DOCKER_HUB = 'docker.io';
/** Host names that mean Docker Hub and are folded into {@link DOCKER_HUB}. */
export const DOCKER_HUB_ALIASES: readonly string[] = ['index.docker.io', 'registry-1.docker.io'];
/** Longest registry + "/" + repository accepted (distribution/reference NameTotalLengthMax). */
export const MAX_NAME_LENGTH = 255;
/** Longest input looked at; anything longer cannot be a valid reference. */
const MAX_INPUT_LENGTH = 1024;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const TAG = /^\w[\w.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const DIGEST_ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*$/;
const HEX_64 = /^[a-f0-9]{64}$/;

/** Quotes user input for an error message, shortened so a huge input cannot flood logs. */
function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/** Checks a `sha256:<hex>` digest; returns it or throws INVALID_ARGUMENT saying what is wrong. */
export function parseDigest(digest: string, context = 'digest'): string {
  if (SHA256_DIGEST.test(digest)) return digest;
  const colon = digest.indexOf(':');
  if (colon < 0) {
    throw invalidArgument(`${context} ${quote(digest)} must look like "sha256:<64 hex digits>" (no algorithm given)`);
  }
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!DIGEST_ALGORITHM.test(algorithm)) {
    throw invalidArgument(`${context} ${quote(digest)} has a malformed algorithm ${quote(algorithm)}`);
  }
  if (algorithm !== 'sha256') {
    throw invalidArgument(`${context} ${quote(digest)} uses ${quote(algorithm)}: only sha256 digests are supported`);
  }
  if (/^[a-fA-F0-9]{64}$/.test(hex)) {
    throw invalidArgument(`${context} ${quote(digest)} must use lower-case hex digits`);
  }
  throw invalidArgument(`${context} ${quote(digest)} must have exactly 64 hex digits after "sha256:", got ${hex.length} characters`);
}

/** Validates a registry host[:port] and returns it in lower case. */
function parseRegistry(domain: string, written: string): string {
  const portAt = domain.startsWith('[') ? domain.indexOf(']:') + 1 : domain.lastIndexOf(':');
  const host = portAt > 0 ? domain.slice(0, portAt) : domain;
  const port = portAt > 0 ? domain.slice(portAt + 1) : undefined;
  const hostOk = IPV6_HOST.test(host) || host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
  if (!hostOk) throw invalidArgument(`image ${quote(written)}: registry host ${quote(host)} is not a valid host name`);
  if (port !== undefined && !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw invalidArgument(`image ${quote(written)}: registry port ${quote(port)} must be a number from 1 to 65535`);
  }
  return domain.toLowerCase();
}

/** Splits `name` into registry and repository the way Docker does, applying Docker Hub defaults. */
function splitName(name: string, written: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const looksLikeHost = first.includes('.') || first.includes(':') || first.toLowerCase() === 'localhost';
  let registry: string;
  let repository: string;
  if (slash < 0 || (!looksLikeHost && first === first.toLowerCase())) {
    registry = DOCKER_HUB;
    repository = name;
  } else if (!looksLikeHost) {
    // Docker would take "Foo/bar" as registry "Foo"; a host name without "." or ":" is far more likely a typo.
    throw invalidArgument(
      `image ${quote(written)}: repository name must be lower case (${quote(first)} is not a registry host: a host needs a "." or ":" or must be "localhost")`,
    );
  } else {
    registry = parseRegistry(first, written);
    repository = name.slice(slash + 1);
  }
  if (DOCKER_HUB_ALIASES.includes(registry)) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && repository !== '' && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository };
}

/** Checks each path component; throws a message naming the first bad one. */
function checkRepository(repository: string, written: string): void {
  if (repository === '') throw invalidArgument(`image ${quote(written)} has no repository name`);
  if (repository !== repository.toLowerCase()) {
    throw invalidArgument(`image ${quote(written)}: repository name ${quote(repository)} must be lower case`);
  }
  for (const component of repository.split('/')) {
    if (component === '') {
      throw invalidArgument(`image ${quote(written)}: repository ${quote(repository)} has an empty path component`);
    }
    if (!PATH_COMPONENT.test(component)) {
      throw invalidArgument(
        `image ${quote(written)}: path component ${quote(component)} must be lower-case letters and digits, separated by ".", "_", "__" or "-"`,
      );
    }
  }
}

/**
 * Parses an image reference (`alpine`, `127.0.0.1:5000/ns/app:1.0`, `repo:tag@sha256:…`) and normalizes it:
 * registry in lower case, Docker Hub names as `docker.io/library/x`. Throws INVALID_ARGUMENT on anything malformed.
 */
export function parseImageReference(text: string): ImageReference {
  if (typeof text !== 'string' || text === '') throw invalidArgument('image reference is empty');
  if (text.length > MAX_INPUT_LENGTH) {
    throw invalidArgument(`image reference is ${text.length} characters long, longer than any valid reference`);
  }
  if (/\s/.test(text)) throw invalidArgument(`image ${quote(text)} must not contain white space`);
  const at = text.indexOf('@');
  if (at >= 0 && text.indexOf('@', at + 1) >= 0) throw invalidArgument(`image ${quote(text)} has more than one "@"`);
  const digest = at >= 0 ? parseDigest(text.slice(at + 1), `image ${quote(text)}: digest`) : undefined;
  let name = at >= 0 ? text.slice(0, at) : text;
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalidArgument(
        `image ${quote(text)}: tag ${quote(tag)} must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`,
      );
    }
  }
  if (name === '') throw invalidArgument(`image ${quote(text)} has no repository name`);
  if (HEX_64.test(name)) {
    throw invalidArgument(`image ${quote(text)}: a 64-digit hex string is an image ID, not a repository name`);
  }
  const { registry, repository } = splitName(name, text);
  checkRepository(repository, text);
  const full = `${registry}/${repository}`;
  if (full.length > MAX_NAME_LENGTH) {
    throw invalidArgument(`image ${quote(text)}: name ${quote(full)} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  const ref: ImageReference = { registry, repository, written: text };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `registry/repository`, e.g. `docker.io/library/alpine`: the repository as attestations name it. */
export function fullRepository(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The normalized spelling: `registry/repository[:tag][@digest]`; parsing it gives the same reference back. */
export function canonicalString(ref: ImageReference): string {
  return fullRepository(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Docker's short display form (`alpine`, `user/app`, `127.0.0.1:5000/ns/app`); never use it as a key. */
export function familiarString(ref: ImageReference): string {
  let name = fullRepository(ref);
  if (ref.registry === DOCKER_HUB) {
    name = ref.repository.startsWith('library/') && ref.repository.split('/').length === 2 ? ref.repository.slice(8) : ref.repository;
  }
  return name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Returns the digest, or throws INVALID_ARGUMENT when the reference is by tag only. */
export function requireDigest(ref: ImageReference): string {
  if (ref.digest === undefined) {
    throw invalidArgument(
      `image ${quote(ref.written)} must be referenced by digest ("${fullRepository(ref)}@sha256:<64 hex digits>"), not by tag`,
    );
  }
  return ref.digest;
}

/** Grafeas resource URI of an image by digest: `https://registry/repository@sha256:…` (any tag dropped). */
export function resourceUri(ref: ImageReference): string {
  return `https://${fullRepository(ref)}@${requireDigest(ref)}`;
}

/** Parses a Grafeas resource URI (`https://` + image by digest) and returns its normalized form, or undefined. */
export function normalizeResourceUri(uri: string): string | undefined {
  if (!uri.startsWith('https://')) return undefined;
  try {
    const ref = parseImageReference(uri.slice('https://'.length));
    return ref.digest === undefined ? undefined : resourceUri(ref);
  } catch {
    return undefined;
  }
}
