import { errors } from 'jose';

/** What is known when explaining a refusal: the provider, its audience, the token's kid and (unverified) claims. */
export interface RefusalContext {
  readonly provider: string;
  readonly audience: string;
  readonly kid: unknown;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** A sentence saying why jose refused a token, for a 401. Never the token itself. */
export function explainJoseError(err: unknown, c: RefusalContext): string {
  const iso = (v: unknown): string => (typeof v === 'number' ? new Date(v * 1000).toISOString() : 'an unreadable time');
  if (err instanceof errors.JWTExpired) return `the bearer token expired at ${iso(c.claims.exp)}`;
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'exp') return 'the bearer token has no valid "exp" (expiry) claim; attestd requires one';
    if (err.claim === 'aud')
      return `the bearer token's audience ("aud") is not "${c.audience}", which identity provider ${c.provider} requires`;
    if (err.claim === 'iss') return `the bearer token's issuer ("iss") is not the one identity provider ${c.provider} trusts`;
    if (err.claim === 'nbf') return `the bearer token is not valid yet: not before ${iso(c.claims.nbf)}`;
    if (err.claim === 'iat') return 'the bearer token\'s "iat" claim is invalid';
    return `the bearer token's "${err.claim}" claim is invalid`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    const kid = typeof c.kid === 'string' ? `kid ${JSON.stringify(c.kid.slice(0, 100))}` : 'no kid';
    return `no key of identity provider ${c.provider} matches the bearer token (${kid}), also after fetching its keys again`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return `the bearer token signature does not verify with the keys of identity provider ${c.provider}`;
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return `the token's algorithm is not accepted by identity provider ${c.provider}`;
  return 'the bearer token is malformed';
}
