import type { RegistryClients } from '../signature-importer';
import { FetchRegistryClient } from './fetch-registry-client';
import { loadRegistryCredentials } from './load-registry-credentials';
import { RegistryCredentials } from './registry-credentials';

/**
 * The registry clients of a server: one FetchRegistryClient per registry host and scheme (so that tokens are cached
 * across imports), all with the credentials of `authFile` (a `.dockerconfigjson`, REGISTRY_AUTH_FILE), read when
 * first needed; a file that cannot be read fails that use with FAILED_PRECONDITION and is read again next time.
 * `timeoutMs` bounds each operation (default: the client's 30 s; the mutating webhook uses its own, shorter one).
 */
export function registryClients(authFile: string | undefined, timeoutMs?: number): RegistryClients {
  let credentials: Promise<RegistryCredentials> | undefined;
  const clients = new Map<string, FetchRegistryClient>();
  return async (registry, plainHttp) => {
    credentials ??= authFile === undefined ? Promise.resolve(RegistryCredentials.none()) : loadRegistryCredentials(authFile);
    let loaded: RegistryCredentials;
    try {
      loaded = await credentials;
    } catch (err) {
      credentials = undefined;
      throw err;
    }
    const key = `${registry}|${plainHttp}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = new FetchRegistryClient({ credentials: loaded, registries: { [registry]: { plainHttp } }, timeoutMs });
      clients.set(key, client);
    }
    return client;
  };
}
