import type { ResourceRecord } from './resource-record';

/** Signature algorithms an identity provider may pin: asymmetric only (never "none", never HMAC). */
export const PROVIDER_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const);
export type ProviderAlgorithm = (typeof PROVIDER_ALGORITHMS)[number];

/** Grants `roles` in the provider's project to a token whose `claim` equals `equals` (or, as an array, contains it). */
export interface RoleBinding {
  readonly claim: string;
  readonly equals: string;
  readonly roles: readonly string[];
}

/** A public JWK Set as given inline ({"keys": [...]}), checked to hold public asymmetric keys only. */
export interface InlineJwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}

/** A trusted OIDC issuer of a project (attestd.v1.IdentityProvider without name, revision, etag and times), validated. */
export interface IdentityProviderSpec {
  readonly description: string;
  /** The tokens' `iss`, exactly. */
  readonly issuer: string;
  /** Where the JWK Set is fetched; '' when `jwks` is given inline. */
  readonly jwksUri: string;
  readonly jwks: InlineJwks | undefined;
  readonly audience: string;
  readonly algorithms: readonly ProviderAlgorithm[];
  readonly roleBindings: readonly RoleBinding[];
}

/** A trusted issuer of a project. */
export type IdentityProviderRecord = ResourceRecord<IdentityProviderSpec>;
