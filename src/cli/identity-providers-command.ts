import fs from 'node:fs';
import type { Json } from './api-client';
import { field, UsageError, type CommandGroup, type Invocation } from './command-table';
import { groupCommand, resourceCommandGroup } from './resource-command-group';

/** `attestd identity-providers create|list|get|delete`. */
export const IDENTITY_PROVIDERS: CommandGroup = resourceCommandGroup({
  name: 'identity-providers',
  summary:
    "Trusted OIDC issuers of a project: a JWT the issuer signs (a Kubernetes service-account token, a CI system's OIDC token) " +
    'authenticates with the roles its bindings grant in the project.',
  collection: 'identityProviders',
  idParam: 'providerId',
  arg: 'PROVIDER',
  singular: 'identity provider',
  plural: 'identity providers',
  columns: [
    ['NAME', (p) => field(p, 'name')],
    ['ISSUER', (p) => field(p, 'issuer')],
    ['KEYS', (p) => (p.jwks ? 'inline' : field(p, 'jwksUri'))],
    ['AUDIENCE', (p) => field(p, 'audience')],
    ['ALGORITHMS', (p) => ((p.algorithms as string[] | undefined) ?? []).join(',')],
    ['BINDINGS', (p) => String(((p.roleBindings as unknown[] | undefined) ?? []).length)],
  ],
  create: {
    flags:
      '--issuer URL (--jwks-uri URL | --jwks-file F) --audience A --algorithm ALG... --bind CLAIM=VALUE:ROLE[,ROLE]... [--description T]',
    summary: 'trust an OIDC issuer in the project',
    details: `flags:
  --issuer URL          the tokens' "iss", exactly (https; http only for 127.0.0.1, [::1], localhost)
  --jwks-uri URL        where the issuer's public keys are fetched (its jwks_uri)
  --jwks-file F         or: a file holding the JWK Set ({"keys": [...]}) itself
  --audience A          the "aud" the tokens must carry, e.g. attestd
  --algorithm ALG       a signature algorithm the issuer uses: RS256, RS384, RS512, PS256, PS384, PS512, ES256,
                        ES384, ES512, EdDSA (repeat for several)
  --bind CLAIM=VALUE:ROLES  grant ROLES (comma-separated: viewer, attestor, admission, admin) to tokens whose CLAIM
                        equals VALUE (or, for a list claim, contains it); repeat for several. The last ":" ends VALUE.
                        e.g. --bind sub=system:serviceaccount:attestd:admission:admission
  --description T       free text`,
    options: {
      issuer: { type: 'string' },
      'jwks-uri': { type: 'string' },
      'jwks-file': { type: 'string' },
      audience: { type: 'string' },
      algorithm: { type: 'string', multiple: true },
      bind: { type: 'string', multiple: true },
      description: { type: 'string' },
    },
    body(inv): Json {
      const bind = inv.values.bind;
      const bindings = (Array.isArray(bind) ? bind : typeof bind === 'string' ? [bind] : []).map(parseBinding);
      if (bindings.length === 0) throw new UsageError('--bind is required: which tokens get which roles, e.g. --bind sub=ci:attestor');
      const algorithms = inv.strings('algorithm');
      if (algorithms.length === 0) throw new UsageError('--algorithm is required: the algorithm the issuer signs with, e.g. ES256');
      return {
        description: inv.string('description'),
        issuer: inv.required('issuer', "the tokens' iss, e.g. https://token.actions.githubusercontent.com"),
        ...keySource(inv),
        audience: inv.required('audience', 'the aud the tokens carry, e.g. attestd'),
        algorithms,
        roleBindings: bindings,
      };
    },
  },
  remove: { summary: "delete an identity provider (its issuer's tokens stop granting roles in the project)" },
});

/** --jwks-uri or --jwks-file, exactly one. */
function keySource(inv: Invocation): Json {
  const uri = inv.string('jwks-uri');
  const file = inv.string('jwks-file');
  if ((uri === undefined) === (file === undefined)) throw new UsageError('give exactly one of --jwks-uri and --jwks-file');
  if (uri !== undefined) return { jwksUri: uri };
  let jwks: unknown;
  try {
    jwks = JSON.parse(fs.readFileSync(file!, 'utf8'));
  } catch (err) {
    throw new UsageError(`--jwks-file ${file}: ${(err as Error).message}`, false);
  }
  return { jwks: jwks };
}

/** `CLAIM=VALUE:ROLE[,ROLE]`: the value may itself hold ":" (the last one ends it). */
function parseBinding(text: string): Json {
  const eq = text.indexOf('=');
  const colon = text.lastIndexOf(':');
  if (eq <= 0 || colon <= eq + 1 || colon === text.length - 1)
    throw new UsageError(`--bind must look like CLAIM=VALUE:ROLE[,ROLE], e.g. sub=ci:attestor, got "${text}"`);
  return { claim: text.slice(0, eq), equals: text.slice(eq + 1, colon), roles: text.slice(colon + 1).split(',') };
}

/** `attestd identity-providers …`; resolves the exit code. */
export const identityProvidersCommand = groupCommand(IDENTITY_PROVIDERS);
