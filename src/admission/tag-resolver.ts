import { ApiError } from '../domain/api-error';
import { parseImageReference } from '../domain/image-reference';
import { RegistryError } from '../domain/registry-error';
import type { RegistryClients } from '../registry/signature-importer';

/** What resolving one image found: the image by digest, or why it stays as written. */
export type TagResolution =
  | { readonly type: 'resolved'; readonly image: string; readonly digest: string }
  /** Already by digest: nothing to do. */
  | { readonly type: 'digest' }
  /** Left unchanged: the reason says why (the validating webhook then judges the image as written). */
  | { readonly type: 'unresolved'; readonly reason: string };

/** How a TagResolver reaches registries. */
export interface TagResolverOptions {
  /** A registry client per host (REGISTRY_AUTH_FILE's credentials, a deadline per operation). */
  readonly clients: RegistryClients;
  /** Registry hosts reached over plain http (ADMISSION_PLAIN_HTTP_REGISTRIES); every other one over https. */
  readonly plainHttpRegistries: readonly string[];
}

/**
 * Resolves `repo:tag` to the manifest digest the tag names now (OCI distribution API: HEAD, else GET, of
 * `/v2/<repo>/manifests/<tag>`), for the mutating webhook. Never throws: an image it cannot resolve is
 * `unresolved` with a reason a user can read. See ADR 0065.
 */
export class TagResolver {
  private readonly plainHttp: ReadonlySet<string>;

  constructor(private readonly options: TagResolverOptions) {
    this.plainHttp = new Set(options.plainHttpRegistries.map((h) => h.toLowerCase()));
  }

  /** Resolves one image; `deadline` (a promise that rejects) bounds the wait whatever the registry does. */
  async resolve(image: string, deadline: Promise<never>): Promise<TagResolution> {
    let ref;
    try {
      ref = parseImageReference(image);
    } catch (err) {
      return { type: 'unresolved', reason: err instanceof ApiError ? err.message : 'not an image reference' };
    }
    if (ref.digest !== undefined) return { type: 'digest' };
    try {
      const client = await this.options.clients(ref.registry, this.plainHttp.has(ref.registry.toLowerCase()));
      const digest = await Promise.race([client.resolveTag(ref), deadline]);
      return { type: 'resolved', image: `${image}@${digest}`, digest };
    } catch (err) {
      if (err instanceof RegistryError || err instanceof ApiError || err instanceof ResolveDeadline) {
        return { type: 'unresolved', reason: err.message };
      }
      return { type: 'unresolved', reason: `registry ${ref.registry} could not be asked (${(err as Error).message})` };
    }
  }
}

/** The mutating webhook's own deadline passed before the registry answered. */
export class ResolveDeadline extends Error {}
