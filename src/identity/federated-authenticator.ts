import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { Authenticator } from '../auth/authenticator';
import { CLOCK_TOLERANCE_SECONDS, MAX_AUTHORIZATION_BYTES, MAX_JTI_LENGTH } from '../auth/jwt-authenticator';
import { ApiError } from '../domain/api-error';
import type { Principal } from '../domain/request-context';
import type { IdentityProviderRecord } from '../domain/resources/identity-provider-spec';
import type { IdentityProviderTable } from './identity-provider-table';
import type { JwksCache, KeySelector } from './jwks-cache';
import { grantedRoles } from './role-bindings';
import { explainJoseError } from './jose-errors';

/** What the federated authenticator needs besides the providers: attestd's own verifier and issuer. */
export interface FederationOptions {
  /** JWT_ISSUER: a token claiming it is attestd's own, whatever the providers say. */
  readonly ownIssuer?: string;
  /** Seconds since the epoch; tests pin it. */
  readonly now?: () => number;
}

/**
 * Authenticates tokens of the projects' trusted OIDC issuers (identity providers) and hands every other token to
 * attestd's own verifier. A token whose `iss` a provider trusts is verified against each such provider (its keys,
 * pinned algorithms, audience and issuer, `exp` required, the verifier's clock tolerance); the principal holds, per
 * project, the roles of the bindings its claims match, over every provider that verified it. A token no provider
 * verifies is refused (401) with the first provider's reason; nothing is ever accepted unverified.
 */
export class FederatedAuthenticator implements Authenticator {
  /** Selectors of inline JWK Sets, per provider name and revision. */
  private readonly inline = new Map<string, { revision: number; select: KeySelector }>();

  constructor(
    private readonly own: Authenticator,
    private readonly providers: IdentityProviderTable,
    private readonly jwks: JwksCache,
    private readonly options: FederationOptions = {},
  ) {}

  authenticate(authorization: string | undefined): Principal | undefined | Promise<Principal | undefined> {
    // Without providers a token is decoded here only when attestd's own verifier refused it (to name its issuer).
    if (this.providers.isEmpty()) return this.ownOrUntrusted(authorization);
    const token = bearerJwt(authorization);
    const issuer = token === undefined ? undefined : issuerOf(token);
    const trusting = issuer === undefined || issuer === this.options.ownIssuer ? [] : this.providers.providersOf(issuer);
    if (trusting.length === 0) return this.ownOrUntrusted(authorization);
    return this.federated(token!, issuer!, trusting);
  }

  /** attestd's own token; one from another issuer is refused saying no project trusts that issuer. */
  private ownOrUntrusted(authorization: string | undefined): Principal | undefined | Promise<Principal | undefined> {
    try {
      return this.own.authenticate(authorization);
    } catch (err) {
      const token = bearerJwt(authorization);
      const issuer = token === undefined ? undefined : issuerOf(token);
      if (!(err instanceof ApiError) || issuer === undefined || issuer === this.options.ownIssuer) throw err;
      throw unauthenticated(
        `the bearer token's issuer ${JSON.stringify(issuer.slice(0, 200))} is not trusted: no project has an identity provider ` +
          `for it (attestd identity-providers create), and it is not one of attestd's own tokens (${err.message})`,
      );
    }
  }

  private async federated(token: string, issuer: string, trusting: readonly IdentityProviderRecord[]): Promise<Principal> {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw unauthenticated('the bearer token is malformed: its header is not base64url JSON');
    }
    const outcomes = await Promise.all(
      trusting.map((p) =>
        this.verifyWith(p, token, header).then(
          (payload) => ({ p, payload }),
          (err: unknown) => ({ p, err }),
        ),
      ),
    );
    const verified = outcomes.filter((o): o is { p: IdentityProviderRecord; payload: JWTPayload } => 'payload' in o);
    if (verified.length === 0) {
      const first = outcomes[0] as { err: unknown };
      throw first.err instanceof ApiError ? first.err : unauthenticated('the bearer token could not be verified');
    }
    const payload = verified[0]!.payload;
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub === '' || sub.length > 256)
      throw unauthenticated('the bearer token needs a "sub" claim: a non-empty string of at most 256 characters');
    const roles = grantedRoles(verified.map((v) => ({ projectId: v.p.projectId, bindings: v.p.spec.roleBindings, claims: v.payload })));
    const subject = `${issuer}#${sub}`;
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH || typeof payload.exp !== 'number') return { subject, roles };
    const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
    return {
      subject,
      roles,
      token: { id: jti, issueTime: typeof payload.iat === 'number' ? iso(payload.iat) : undefined, expireTime: iso(payload.exp) },
    };
  }

  /** The token's claims when `p` verifies it; UNAUTHENTICATED saying why not. */
  private async verifyWith(p: IdentityProviderRecord, token: string, header: ProtectedHeaderParameters): Promise<JWTPayload> {
    const name = `projects/${p.projectId}/identityProviders/${p.id}`;
    const algorithms = [...p.spec.algorithms];
    const alg = typeof header.alg === 'string' ? header.alg : '';
    if (!algorithms.includes(alg as (typeof algorithms)[number])) {
      const shown = /^[A-Za-z0-9]{1,10}$/.test(alg) ? `"${alg}"` : '(unrecognised)';
      const why = /^none$/i.test(alg)
        ? ' (unsigned tokens are never accepted)'
        : /^HS/i.test(alg)
          ? ' (HMAC is never accepted from an issuer)'
          : '';
      throw unauthenticated(
        `the token's algorithm ${shown} is not accepted${why}; identity provider ${name} accepts ${algorithms.join(', ')}`,
      );
    }
    const select = p.spec.jwks
      ? this.inlineKeys(name, p)
      : await this.jwks.keys(p.spec.jwksUri, typeof header.kid === 'string' ? header.kid : undefined);
    try {
      const { payload } = await jwtVerify(token, select, {
        algorithms,
        audience: p.spec.audience,
        issuer: p.spec.issuer,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
        ...(this.options.now ? { currentDate: new Date(this.options.now() * 1000) } : {}),
      });
      return payload;
    } catch (err) {
      throw unauthenticated(explainJoseError(err, { provider: name, audience: p.spec.audience, kid: header.kid, claims: claimsOf(token) }));
    }
  }

  private inlineKeys(name: string, p: IdentityProviderRecord): KeySelector {
    const cached = this.inline.get(name);
    if (cached?.revision === p.revision) return cached.select;
    const select = createLocalJWKSet({ keys: p.spec.jwks!.keys as never });
    this.inline.set(name, { revision: p.revision, select });
    return select;
  }
}

/** The JWT of a well-formed `Bearer` header within the size bound, else undefined (the own verifier explains). */
function bearerJwt(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length > MAX_AUTHORIZATION_BYTES) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  return m && m[1]!.split('.').length === 3 ? m[1] : undefined;
}

/** The unverified claims of a JWT, only to explain a refusal ({} when unreadable). */
function claimsOf(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}

/** The unverified `iss` of a JWT, only to choose who verifies it. */
function issuerOf(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' && iss !== '' ? iss : undefined;
  } catch {
    return undefined;
  }
}

function unauthenticated(message: string): ApiError {
  return new ApiError('UNAUTHENTICATED', message);
}
