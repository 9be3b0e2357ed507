import type { Knex } from 'knex';
import type { IdentityProviderRecord, IdentityProviderSpec } from '../domain/resources/identity-provider-spec';
import type { IdentityProviderStore } from '../domain/stores/identity-provider-store';
import type { PageTokens } from './page-token';
import { PostgresResourceStore, type ResourceTable } from './postgres-resource-store';

/** The identity_providers table: the issuer in its own column (looked up by it), the spec in body. */
const IDENTITY_PROVIDERS: ResourceTable<IdentityProviderSpec> = {
  table: 'identity_providers',
  idColumn: 'provider_id',
  scope: 'identityProviders',
  columns: (s) => ({ issuer: s.issuer, body: JSON.stringify(s) }),
  spec: (row) => row.body as IdentityProviderSpec,
};

/** The projects' trusted OIDC issuers in Postgres. */
export class PostgresIdentityProviderStore extends PostgresResourceStore<IdentityProviderSpec> implements IdentityProviderStore {
  constructor(db: Knex, tokens: PageTokens) {
    super(db, tokens, IDENTITY_PROVIDERS);
  }

  all(limit: number): Promise<IdentityProviderRecord[]> {
    return this.select((q) => q.orderBy('project_id').limit(limit));
  }
}
