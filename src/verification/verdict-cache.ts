/** A bounded TTL map with separate lifetimes for positive and negative entries, and coalesced loads. */
export class VerdictCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();
  private readonly loading = new Map<string, Promise<T>>();

  constructor(
    private readonly positiveTtlMs: number,
    private readonly negativeTtlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The live entry for `key`, if any. */
  peek(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: T, positive: boolean): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: Date.now() + (positive ? this.positiveTtlMs : this.negativeTtlMs) });
  }

  /** The cached value, or one load shared by every concurrent caller asking for the same key. */
  async get(key: string, load: () => Promise<T>, positive: (value: T) => boolean): Promise<T> {
    const hit = this.peek(key);
    if (hit !== undefined) return hit;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const p = load()
      .then((value) => {
        this.set(key, value, positive(value));
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }
}
