import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ApiError } from '../domain/api-error';
import type { Principal } from '../domain/request-context';
import type { Authenticator } from './authenticator';
import { ROLES } from './permissions';
import { VerifiedTokenCache } from './verified-token-cache';

/** Largest Authorization header accepted (a token with hundreds of project roles still fits). */
export const MAX_AUTHORIZATION_BYTES = 8 * 1024;
/** Shortest accepted HMAC secret, in UTF-8 bytes (RFC 7518 §3.2: at least the hash size). */
export const MIN_SECRET_BYTES = 32;
/** Longest accepted `jti` (attestd mints UUIDs). */
export const MAX_JTI_LENGTH = 128;
/** Clock skew tolerated on exp and nbf. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** How tokens are verified: an HMAC secret or a PEM public key, the audience and an optional issuer. */
export type JwtKey = { readonly secret: string } | { readonly publicKeyPem: string };
export interface JwtOptions {
  readonly key: JwtKey;
  readonly audience: string;
  readonly issuer?: string;
  /** Whether a request without an Authorization header is anonymous (true) or refused (false, the server default). */
  readonly allowAnonymous?: boolean;
  /** Seconds since the epoch; tests pin it. */
  readonly now?: () => number;
}

type Verifier = { readonly key: crypto.KeyObject | Buffer; readonly algorithms: jwt.Algorithm[] };

/** Verifies `Authorization: Bearer <JWT>`: pinned algorithm per key type, required aud, exp and sub, validated roles. */
export class JwtAuthenticator implements Authenticator {
  private readonly verifier: Verifier;
  private readonly verified = new VerifiedTokenCache();

  constructor(private readonly options: JwtOptions) {
    this.verifier = verifierFor(options.key);
  }

  authenticate(authorization: string | undefined): Principal | undefined {
    if (authorization === undefined || authorization === '') {
      if (this.options.allowAnonymous) return undefined;
      throw unauthenticated('a bearer token is required: send "Authorization: Bearer <token>"');
    }
    if (Buffer.byteLength(authorization, 'utf8') > MAX_AUTHORIZATION_BYTES) {
      throw unauthenticated(`the Authorization header is larger than ${MAX_AUTHORIZATION_BYTES / 1024} KiB`);
    }
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!m) throw unauthenticated('the Authorization header must use the "Bearer" scheme: "Authorization: Bearer <token>"');
    const token = m[1]!;
    const now = this.options.now?.() ?? Date.now() / 1000;
    const known = this.verified.get(token, now);
    if (known) return known;
    const { principal, expires } = this.verify(token);
    this.verified.set(token, principal, expires + CLOCK_TOLERANCE_SECONDS);
    return principal;
  }

  private verify(token: string): { principal: Principal; expires: number } {
    const parts = token.split('.');
    if (parts.length !== 3) throw unauthenticated('the bearer token is malformed: a JWT has three dot-separated parts');
    const header = decodeJsonPart(parts[0]!);
    if (!header || typeof header.alg !== 'string')
      throw unauthenticated('the bearer token is malformed: its header is not base64url JSON with an "alg"');
    if (!this.verifier.algorithms.includes(header.alg as jwt.Algorithm)) {
      const alg = /^[A-Za-z0-9]{1,10}$/.test(header.alg) ? `"${header.alg}"` : '(unrecognised)';
      throw unauthenticated(`the token's algorithm ${alg} is not accepted; this server accepts ${this.verifier.algorithms.join(', ')}`);
    }
    if (parts[2] === '') throw unauthenticated('the bearer token has no signature');
    let payload: jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.verifier.key, {
        algorithms: this.verifier.algorithms,
        audience: this.options.audience,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        ...(this.options.now ? { clockTimestamp: this.options.now() } : {}),
      }) as jwt.JwtPayload;
    } catch (err) {
      throw this.explain(err);
    }
    if (typeof payload !== 'object' || payload === null) throw unauthenticated('the bearer token payload is not a JSON object');
    if (typeof payload.exp !== 'number') throw unauthenticated('the bearer token has no "exp" (expiry) claim; attestd requires one');
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 256) {
      throw unauthenticated('the bearer token needs a "sub" claim: a non-empty string of at most 256 characters');
    }
    const roles = parseRoles((payload as { roles?: unknown }).roles);
    const { jti } = payload;
    if (jti === undefined) return { principal: { subject: payload.sub, roles }, expires: payload.exp };
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
      throw unauthenticated(`the bearer token's "jti" claim must be a non-empty string of at most ${MAX_JTI_LENGTH} characters`);
    }
    const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
    const issueTime = typeof payload.iat === 'number' ? iso(payload.iat) : undefined;
    return {
      principal: { subject: payload.sub, roles, token: { id: jti, issueTime, expireTime: iso(payload.exp) } },
      expires: payload.exp,
    };
  }

  private explain(err: unknown): ApiError {
    if (err instanceof jwt.TokenExpiredError) return unauthenticated(`the bearer token expired at ${err.expiredAt.toISOString()}`);
    if (err instanceof jwt.NotBeforeError)
      return unauthenticated(`the bearer token is not valid yet: not before ${err.date.toISOString()}`);
    const msg = err instanceof Error ? err.message : '';
    if (msg.startsWith('jwt audience invalid'))
      return unauthenticated(`the bearer token's audience ("aud") is not "${this.options.audience}"`);
    if (msg.startsWith('jwt issuer invalid')) return unauthenticated(`the bearer token's issuer ("iss") is not "${this.options.issuer}"`);
    if (msg === 'invalid signature') return unauthenticated('the bearer token signature does not verify: it was signed with another key');
    if (msg === 'invalid algorithm' || msg.includes('must be a symmetric key') || msg.includes('must be an asymmetric key')) {
      return unauthenticated(`the token's algorithm is not accepted; this server accepts ${this.verifier.algorithms.join(', ')}`);
    }
    if (msg === 'invalid exp value') return unauthenticated('the bearer token\'s "exp" claim is not a number');
    if (msg === 'invalid nbf value') return unauthenticated('the bearer token\'s "nbf" claim is not a number');
    return unauthenticated('the bearer token is malformed');
  }
}

/** Parses and checks the `roles` claim: `{"<project id or *>": ["admin"|"attestor"|"admission"|"viewer"]}` (absent = none). */
export function parseRoles(claim: unknown): Record<string, readonly string[]> {
  if (claim === undefined) return {};
  const shape = 'the token claim "roles" must look like {"<project id or *>": ["admin"|"attestor"|"admission"|"viewer"]}';
  if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) throw unauthenticated(shape);
  const roles: Record<string, readonly string[]> = Object.create(null);
  for (const [project, list] of Object.entries(claim)) {
    if (project !== '*' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(project))
      throw unauthenticated(`${shape}; a key is not a project id`);
    if (!Array.isArray(list) || !list.every((r) => typeof r === 'string' && (ROLES as readonly string[]).includes(r))) {
      throw unauthenticated(`${shape}; project ${JSON.stringify(project)} has an unknown role`);
    }
    roles[project] = Object.freeze([...list]);
  }
  return Object.freeze(roles);
}

/** The key and the one algorithm family it may verify: HS256 for a secret, RS256 for RSA, ES256 for P-256. */
function verifierFor(key: JwtKey): Verifier {
  if ('secret' in key) {
    const bytes = Buffer.from(key.secret, 'utf8');
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new Error(
        `JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (UTF-8); it has ${bytes.length}. Generate one with: openssl rand -base64 48`,
      );
    }
    // A KeyObject, made once: given raw bytes, jsonwebtoken first tries (and fails) createPublicKey on
    // every verify, which cost ~30% of the CPU of a GetNote (bench/, docs/performance.md).
    return { key: crypto.createSecretKey(bytes), algorithms: ['HS256'] };
  }
  let pub: crypto.KeyObject;
  try {
    pub = crypto.createPublicKey(key.publicKeyPem);
  } catch {
    throw new Error('JWT_PUBLIC_KEY_FILE does not hold a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  if (pub.asymmetricKeyType === 'rsa') {
    if ((pub.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new Error('JWT_PUBLIC_KEY_FILE: RSA keys must have at least 2048 bits');
    return { key: pub, algorithms: ['RS256'] };
  }
  if (pub.asymmetricKeyType === 'ec' && pub.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key: pub, algorithms: ['ES256'] };
  throw new Error(`JWT_PUBLIC_KEY_FILE: unsupported key type ${pub.asymmetricKeyType ?? 'unknown'}; use RSA (RS256) or EC P-256 (ES256)`);
}

function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function unauthenticated(message: string): ApiError {
  return new ApiError('UNAUTHENTICATED', message);
}
