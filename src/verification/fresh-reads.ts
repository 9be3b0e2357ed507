/**
 * Reads a value per key for callers who each need one read that began after they asked (a change committed
 * before the call must be seen), with at most one read per key in flight: callers that ask while a read runs
 * share the next one, which starts when it ends. Under load N concurrent callers cost ~1 read per read latency
 * instead of N; alone, a caller waits for its own read only.
 */
export class FreshReads<V> {
  private readonly keys = new Map<
    string,
    { running: boolean; waiters: Array<{ resolve: (v: V) => void; reject: (e: unknown) => void }> }
  >();

  constructor(private readonly read: (key: string) => Promise<V>) {}

  get(key: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      let state = this.keys.get(key);
      if (state === undefined) {
        state = { running: false, waiters: [] };
        this.keys.set(key, state);
      }
      state.waiters.push({ resolve, reject });
      if (!state.running) this.run(key, state);
    });
  }

  private run(key: string, state: { running: boolean; waiters: Array<{ resolve: (v: V) => void; reject: (e: unknown) => void }> }): void {
    // Every caller in this batch asked before its read starts.
    const batch = state.waiters;
    state.waiters = [];
    state.running = true;
    const settle = (): void => {
      state.running = false;
      if (state.waiters.length > 0) this.run(key, state);
      else this.keys.delete(key);
    };
    let reading: Promise<V>;
    try {
      reading = this.read(key);
    } catch (err) {
      reading = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    reading.then(
      (value) => {
        for (const w of batch) w.resolve(value);
        settle();
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
        settle();
      },
    );
  }
}
