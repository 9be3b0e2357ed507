import type { IdentityProviderRecord, IdentityProviderSpec } from '../resources/identity-provider-spec';
import type { ResourceStore } from './resource-store';

/** Storage of the projects' trusted OIDC issuers: the resource store plus the load of all of them. */
export interface IdentityProviderStore extends ResourceStore<IdentityProviderSpec> {
  /** Every project's providers (at most `limit`), for the authenticator's in-memory table. */
  all(limit: number): Promise<IdentityProviderRecord[]>;
}
