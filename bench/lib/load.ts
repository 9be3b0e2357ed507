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

/**
 * About `ratePerSecond` operations per second from `concurrency` workers, each waiting a random, exponentially
 * distributed time (mean concurrency / rate) after each operation before its next (Poisson arrivals, no bursts);
 * latency from each operation's start. The same model as the paced wrk phases (bench/lib/wrk.ts), for the
 * baselines driven from this process.
 */
export async function pacedLoop(
  concurrency: number,
  ratePerSecond: number,
  durationMs: number,
  op: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  const meanWaitMs = (concurrency / ratePerSecond) * 1000;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  let seq = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, -meanWaitMs * Math.log(1 - Math.random())));
      if (performance.now() >= deadline) return;
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
