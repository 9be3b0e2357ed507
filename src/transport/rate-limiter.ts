import { ApiError } from '../domain/api-error';

/** Keys kept before idle (full) buckets are swept; a full bucket is the same as no bucket. */
const SWEEP_AT = 10_000;

/** The answer to one request: allowed, or refused with the seconds until a token is available again. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Per-caller token buckets in memory (one set per replica): `perMinute` tokens refill evenly over a
 * minute, up to `burst`. Keys are `sub:<token subject>` or `ip:<address>` for anonymous callers.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    readonly perMinute: number,
    readonly burst: number = perMinute,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perMinute > 0) || !(burst >= 1)) throw new Error('a rate limit needs perMinute > 0 and burst >= 1');
    this.perMs = perMinute / 60_000;
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision {
    const t = this.now();
    if (this.buckets.size >= SWEEP_AT && t - this.lastSweep >= 1000) this.sweep(t);
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)) };
  }

  /** The RESOURCE_EXHAUSTED error a refused caller sees. */
  refusal(key: string, retryAfterSeconds: number): ApiError {
    const who = key.startsWith('sub:') ? 'this token' : 'this client address';
    return new ApiError(
      'RESOURCE_EXHAUSTED',
      `rate limit of ${this.perMinute} requests per minute exceeded for ${who}; retry after ${retryAfterSeconds} s`,
    );
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.perMs >= this.burst) this.buckets.delete(key);
    }
  }
}

/** The bucket key of a caller: its verified token subject, else its address. */
export function rateKey(subject: string | undefined, address: string | undefined): string {
  return subject ? `sub:${subject}` : `ip:${address ?? 'unknown'}`;
}

/** The address part of a gRPC peer string (`ipv4:127.0.0.1:5000`, `[::1]:5000`). */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(bare);
  if (v6) return v6[1]!;
  return bare.replace(/:\d+$/, '');
}
