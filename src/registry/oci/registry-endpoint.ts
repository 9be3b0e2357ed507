import { invalidArgument } from '../../domain/api-error';
import { DOCKER_HUB, DOCKER_HUB_ALIASES, parseImageReference } from '../../domain/image-reference';
import type { RepositoryRef } from '../../domain/registry-client';

/** The host Docker Hub's registry API answers on (`docker.io` is only its name). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** The origin a registry's API is reached at: `https://host[:port]` (`http://` when plain HTTP was asked for), Docker Hub at registry-1.docker.io. */
export function registryEndpoint(registry: string, plainHttp: boolean): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  return `${plainHttp ? 'http' : 'https'}://${host}`;
}

/**
 * Checks a repository and normalizes it as image references are (registry in lower case, Docker Hub aliases as
 * `docker.io`, `library/` for one-component Docker Hub names); throws INVALID_ARGUMENT when it is malformed.
 */
export function normalizeRepository(ref: RepositoryRef): RepositoryRef {
  const written = `${ref.registry}/${ref.repository}`;
  const parsed = parseImageReference(written);
  if (parsed.tag !== undefined || parsed.digest !== undefined) {
    throw invalidArgument(`repository ${JSON.stringify(ref.repository)} must be a path without a tag or digest`);
  }
  const given = ref.registry.toLowerCase();
  const dockerHub = parsed.registry === DOCKER_HUB && (given === DOCKER_HUB || DOCKER_HUB_ALIASES.includes(given));
  if (parsed.registry !== given && !dockerHub) {
    throw invalidArgument(
      `registry ${JSON.stringify(ref.registry)} is not a registry host: a host needs a "." or ":" or must be "localhost" (as in 127.0.0.1:5000)`,
    );
  }
  return { registry: parsed.registry, repository: parsed.repository };
}
