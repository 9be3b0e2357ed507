import { DOCKER_HUB, DOCKER_HUB_ALIASES, fullRepository, resourceUri, type ImageReference } from '../domain/image-reference';

/**
 * Every resourceUri under which an attestation of this image may have been stored: the normalized one
 * attestd writes, plus Docker Hub's short spellings clients of the Grafeas API may have used.
 */
export function resourceUriSpellings(ref: ImageReference): string[] {
  const uris = new Set([resourceUri(ref)]);
  if (ref.registry === DOCKER_HUB) {
    const repo = ref.repository;
    const short = repo.startsWith('library/') && repo.split('/').length === 2 ? repo.slice('library/'.length) : undefined;
    for (const host of [DOCKER_HUB, ...DOCKER_HUB_ALIASES]) uris.add(`https://${host}/${repo}@${ref.digest}`);
    uris.add(`https://${repo}@${ref.digest}`);
    if (short) {
      uris.add(`https://${short}@${ref.digest}`);
      uris.add(`https://${DOCKER_HUB}/${short}@${ref.digest}`);
    }
  }
  uris.add(`https://${fullRepository(ref)}@${ref.digest}`);
  // Tekton Chains writes `repo@sha256:…` without the scheme.
  for (const uri of [...uris]) uris.add(uri.slice('https://'.length));
  return [...uris];
}
