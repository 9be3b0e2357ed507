import { invalidArgument } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import type { IdentityProviderSpec } from '../domain/resources/identity-provider-spec';
import type { ResourceName } from '../domain/resources/resource-record';
import { protoNames } from '../resources/proto-names';
import type { ResourceKind } from '../resources/resource-kind';
import { checkResourceId } from '../resources/resource-names';
import { SpecReader } from '../resources/spec-reader';
import { readAlgorithms, readInlineJwks, readRoleBindings, readTrustedUrl } from './identity-provider-fields';

/**
 * Trusted OIDC issuers per project, a kind of the resource kit: a JWT the issuer signs authenticates with the
 * roles the provider's bindings grant in its project (docs/adr/0060-token-lifecycle-and-identity-providers.md).
 * `changed` runs once a change has committed, so that the authenticators have it before the call answers.
 * `ownIssuer` (JWT_ISSUER) is refused as a provider's issuer: tokens naming it are attestd's own, verified with
 * its own secret, so such a provider could never match a token.
 */
export function identityProviderKind(
  changed: (name: ResourceName) => Promise<void>,
  ownIssuer?: string,
): ResourceKind<IdentityProviderSpec> {
  return {
    ...protoNames('IdentityProvider', 'identityProviders'),
    singular: 'identity provider',
    placeholder: 'identityProvider',
    idParam: 'providerId',
    idExample: 'ci',
    checkId: (id) => checkResourceId(id, 'providerId'),
    outputOnly: ['revision'],
    store: (stores) => stores.identityProviders,
    parse: (input) => parseIdentityProvider(input, ownIssuer),
    toMessage: (r) => {
      const { jwks, ...rest } = r.spec;
      return { ...rest, ...(jwks ? { jwks: jwks } : {}), revision: String(r.revision) };
    },
    hooks: { committed: changed },
  };
}

function parseIdentityProvider(input: JsonObject, ownIssuer: string | undefined): IdentityProviderSpec {
  const f = new SpecReader(input, 'identityProvider');
  const issuer = readTrustedUrl(f, 'issuer', 'the "iss" of the tokens, e.g. https://token.actions.githubusercontent.com');
  if (issuer === ownIssuer)
    throw invalidArgument(
      `${f.path('issuer')} is attestd's own issuer (JWT_ISSUER): tokens naming it are verified with attestd's own secret, ` +
        'never with a provider; give the external issuer whose tokens this provider should trust',
    );
  const jwksUri = f.text('jwksUri', { max: 2048 });
  const jwks = readInlineJwks(f);
  return {
    description: f.text('description', { max: 4096 }),
    issuer,
    jwksUri: jwksUri === '' ? '' : readTrustedUrl(f, 'jwksUri', ''),
    jwks: checkKeySource(f, jwksUri, jwks),
    audience: f.text('audience', { required: 'the "aud" the tokens must carry, e.g. attestd', max: 256 }),
    algorithms: readAlgorithms(f),
    roleBindings: readRoleBindings(f),
  };
}

/** Exactly one of jwksUri and jwks. */
function checkKeySource(f: SpecReader, jwksUri: string, jwks: IdentityProviderSpec['jwks']): IdentityProviderSpec['jwks'] {
  if (jwksUri !== '' && jwks) throw invalidArgument(`give exactly one of ${f.path('jwksUri')} and ${f.path('jwks')}, not both`);
  if (jwksUri === '' && !jwks)
    throw invalidArgument(
      `${f.path('jwksUri')} or ${f.path('jwks')} is required: where the issuer's public keys are fetched (its jwks_uri), ` +
        'or the JWK Set itself ({"keys": [...]})',
    );
  return jwks;
}
