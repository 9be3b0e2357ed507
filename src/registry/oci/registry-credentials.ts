import { inspect } from 'node:util';
import { DOCKER_HUB, DOCKER_HUB_ALIASES } from '../../domain/image-reference';

/** One registry's secret: a username and password, or an identity token (an OAuth2 refresh token). */
export interface RegistrySecret {
  username?: string;
  password?: string;
  identityToken?: string;
}

/** The registry a `.dockerconfigjson` key names: scheme and path dropped, lower case, Docker Hub aliases folded into `docker.io`. */
export function credentialRegistry(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_ALIASES.includes(host) ? DOCKER_HUB : host;
}

/**
 * Registry credentials by registry host. The secrets are held in a private field: `toString`, `toJSON` and
 * `util.inspect` show only the registries and where the credentials came from.
 */
export class RegistryCredentials {
  readonly #secrets: ReadonlyMap<string, Readonly<RegistrySecret>>;

  constructor(
    secrets: ReadonlyMap<string, RegistrySecret>,
    /** Where they came from (a file path), for messages. */
    readonly source: string,
  ) {
    this.#secrets = new Map([...secrets].map(([registry, secret]) => [credentialRegistry(registry), Object.freeze({ ...secret })]));
  }

  /** No credentials: every registry is read anonymously. */
  static none(): RegistryCredentials {
    return new RegistryCredentials(new Map(), 'no credentials');
  }

  /** The registries credentials are held for, sorted. */
  registries(): string[] {
    return [...this.#secrets.keys()].sort();
  }

  /** The secret for a registry host (`127.0.0.1:5000`, `docker.io`), if any. */
  secretFor(registry: string): Readonly<RegistrySecret> | undefined {
    return this.#secrets.get(credentialRegistry(registry));
  }

  /** `Basic …` for a registry that has a username and password, else undefined. */
  basicAuthorization(registry: string): string | undefined {
    const secret = this.secretFor(registry);
    if (secret?.username === undefined || secret.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${secret.username}:${secret.password}`, 'utf8').toString('base64')}`;
  }

  toString(): string {
    return `RegistryCredentials(${this.source}: ${this.registries().join(', ') || 'none'})`;
  }

  toJSON(): { source: string; registries: string[] } {
    return { source: this.source, registries: this.registries() };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
