import type { Principal } from '../domain/request-context';

/** Tokens remembered per authenticator (oldest forgotten first); a client sends the same token with every call. */
export const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Principals of bearer tokens whose signature and claims one authenticator (one fixed key, audience and issuer)
 * already checked, keyed by the exact token text, each until the token expires (its `exp` plus the clock
 * tolerance, the last second verification would accept it). Verifying the same token again gives the same
 * principal until then, so a hit skips the signature check and the claim parsing (16 µs → 1.3 µs per call:
 * docs/performance.md, "Round 5"). Revocation is not decided here: it is checked on every request after.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; untilSeconds: number }>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  /** The principal of `token` if it was verified and is still accepted at `nowSeconds` (before `untilSeconds`). */
  get(token: string, nowSeconds: number): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowSeconds >= entry.untilSeconds) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  /** Remembers a verified token's principal until `untilSeconds`. */
  set(token: string, principal: Principal, untilSeconds: number): void {
    if (this.entries.size >= this.max && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { principal: Object.freeze(principal), untilSeconds });
  }
}
