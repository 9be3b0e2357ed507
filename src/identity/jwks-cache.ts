import { createLocalJWKSet, type JSONWebKeySet, type JWK } from 'jose';
import { ApiError } from '../domain/api-error';
import type { Logger } from '../logger';

/** How long a JWKS fetch may take. */
export const JWKS_TIMEOUT_MS = 5000;
/** Largest JWK Set read (bytes); more is refused as garbage. */
export const MAX_JWKS_BYTES = 256 * 1024;
/** Most keys a fetched JWK Set may hold. */
export const MAX_JWKS_KEYS = 100;
/** Keys are fresh for the response's Cache-Control max-age, bounded to this range (seconds); 5 min without one. */
export const JWKS_MAX_AGE_SECONDS = { min: 60, default: 300, max: 3600 } as const;
/** After their max-age, keys that cannot be fetched again stay in use this long (the endpoint is down or answers garbage). */
export const JWKS_KEEP_SECONDS = 3600;
/** At most one fetch per JWKS URL in this interval (an unknown kid, a failed fetch): a flood of random kids costs one. */
export const JWKS_REFETCH_INTERVAL_MS = 5000;

/** Selects a token's verification key from a JWK Set (jose's local key set). */
export type KeySelector = ReturnType<typeof createLocalJWKSet>;

interface Keys {
  readonly select: KeySelector;
  readonly kids: ReadonlySet<string>;
  readonly fetchedAt: number;
  readonly freshUntil: number;
  readonly keepUntil: number;
}

interface Entry {
  keys?: Keys;
  lastAttempt: number;
  failure?: string;
  inflight?: Promise<void>;
}

/**
 * The JWK Sets of the identity providers' jwksUri, fetched with a bounded time and size, cached for their max-age
 * (bounded), fetched again for an unknown kid (at most once per JWKS_REFETCH_INTERVAL_MS per URL, concurrent
 * requests sharing one fetch), and kept while the endpoint is down or answers garbage until JWKS_KEEP_SECONDS past
 * their max-age. A set that cannot be read never replaces good keys; without keys, tokens are refused.
 */
export class JwksCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The keys of `uri` to verify a token naming `kid` with; UNAUTHENTICATED (saying why) when there are none. */
  async keys(uri: string, kid: string | undefined): Promise<KeySelector> {
    const e = this.entries.get(uri) ?? { lastAttempt: -Infinity };
    this.entries.set(uri, e);
    const now = this.now();
    const stale = !e.keys || now >= e.keys.freshUntil || (kid !== undefined && !e.keys.kids.has(kid));
    if (stale && (e.inflight || now - e.lastAttempt >= JWKS_REFETCH_INTERVAL_MS)) {
      e.inflight ??= this.fetch(uri, e).finally(() => {
        e.inflight = undefined;
      });
      await e.inflight;
    }
    if (e.keys && this.now() >= e.keys.keepUntil) e.keys = undefined;
    if (!e.keys) {
      throw new ApiError(
        'UNAUTHENTICATED',
        `the token's issuer keys are not available: ${e.failure ?? 'they were not fetched yet'} (from ${uri}); try again shortly`,
      );
    }
    return e.keys.select;
  }

  private async fetch(uri: string, e: Entry): Promise<void> {
    e.lastAttempt = this.now();
    try {
      const { jwks, maxAge } = await fetchJwks(uri);
      const at = this.now();
      const kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
      e.keys = {
        select: createLocalJWKSet(jwks),
        kids,
        fetchedAt: at,
        freshUntil: at + maxAge * 1000,
        keepUntil: at + (maxAge + JWKS_KEEP_SECONDS) * 1000,
      };
      if (e.failure) this.logger.info({ jwksUri: uri }, 'identity provider keys fetched again');
      e.failure = undefined;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (e.failure === undefined)
        this.logger.warn(
          { jwksUri: uri, err: reason },
          e.keys
            ? 'identity provider keys cannot be fetched; the cached keys stay in use until they expire'
            : 'identity provider keys cannot be fetched',
        );
      e.failure = `fetching the JWK Set failed: ${reason}`;
    }
  }
}

/** GETs a JWK Set: bounded in time and size, no redirects; only public RSA, EC and OKP keys are kept. */
async function fetchJwks(uri: string): Promise<{ jwks: JSONWebKeySet; maxAge: number }> {
  const res = await fetch(uri, {
    signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
    redirect: 'error',
    headers: { accept: 'application/jwk-set+json, application/json' },
  }).catch((err: Error) => {
    throw new Error(err.name === 'TimeoutError' ? `no answer within ${JWKS_TIMEOUT_MS} ms` : `cannot reach it (${err.message})`);
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`it answered HTTP ${res.status}`);
  }
  const text = await readBounded(res);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('it did not answer JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(keys))
    throw new Error('it did not answer a JWK Set ({"keys": [...]})');
  if (keys.length > MAX_JWKS_KEYS) throw new Error(`its JWK Set holds more than ${MAX_JWKS_KEYS} keys`);
  const usable = keys.filter(
    (k): k is JWK =>
      typeof k === 'object' && k !== null && ['RSA', 'EC', 'OKP'].includes(String((k as JWK).kty)) && !('d' in k) && !('k' in k),
  );
  if (usable.length === 0) throw new Error('its JWK Set holds no public RSA, EC or OKP key');
  return { jwks: { keys: usable }, maxAge: maxAgeOf(res.headers.get('cache-control')) };
}

/** The body as text, refusing more than MAX_JWKS_BYTES. */
async function readBounded(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_JWKS_BYTES) {
    await res.body?.cancel();
    throw new Error(`its JWK Set is larger than ${MAX_JWKS_BYTES / 1024} KiB`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > MAX_JWKS_BYTES) throw new Error(`its JWK Set is larger than ${MAX_JWKS_BYTES / 1024} KiB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Cache-Control max-age bounded to JWKS_MAX_AGE_SECONDS (no-store and no-cache: the minimum). */
function maxAgeOf(cacheControl: string | null): number {
  const { min, max } = JWKS_MAX_AGE_SECONDS;
  if (!cacheControl) return JWKS_MAX_AGE_SECONDS.default;
  if (/\bno-(store|cache)\b/i.test(cacheControl)) return min;
  const m = /\bmax-age=(\d+)/i.exec(cacheControl);
  return m ? Math.min(max, Math.max(min, Number(m[1]))) : JWKS_MAX_AGE_SECONDS.default;
}
