import { performance } from 'node:perf_hooks';

/** What a load phase measured: completed operations per second and each operation's latency (ms). */
export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latenciesMs: number[];
  readonly firstError?: string;
}

function result(ops: number, errors: number, startedAt: number, latenciesMs: number[], firstError?: string): LoadResult {
  const seconds = (performance.now() - startedAt) / 1000;
  return { ops, errors, seconds, perSecond: ops / seconds, latenciesMs, firstError };
}

/** Keeps `concurrency` operations in flight for `durationMs` (a closed loop): the maximum rate. */
export async function closedLoop(concurrency: number, durationMs: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  let seq = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await op(seq++);
        latencies.push(performance.now() - t0);
        ops++;
      } catch (err) {
        errors++;
        firstError ??= String((err as Error).message ?? err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result(ops, errors, startedAt, latencies, firstError);
}

/** Starts operations at a fixed rate for `durationMs` whatever their latency (an open loop): latency at a given load. */
export async function openLoop(ratePerSecond: number, durationMs: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const startedAt = performance.now();
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  let started = 0;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  while (started < total) {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * ratePerSecond) + 1);
    while (started < due) {
      // Latency counts from when the operation was due, so that a stalled generator is not hidden.
      const dueAt = startedAt + (started / ratePerSecond) * 1000;
      const p = op(started++).then(
        () => {
          latencies.push(performance.now() - dueAt);
          ops++;
        },
        (err: unknown) => {
          errors++;
          firstError ??= String((err as Error).message ?? err);
        },
      );
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return result(ops, errors, startedAt, latencies, firstError);
}
