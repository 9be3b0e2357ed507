import type { Logger } from '../logger';

/** A part of the running server with a lifecycle: the database, a background loop, the transports. */
export interface Worker {
  /** Named in logs when it fails to start or stop. */
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * Starts workers in list order and resolves a stop that stops them in reverse order, once: a worker may
 * rely on every worker before it in the list running while it starts, runs and stops. If one fails to
 * start, those already started are stopped (in reverse) and the error is rethrown. A worker that fails
 * to stop is logged and the others still stop; the first such error is rethrown at the end.
 */
export async function startWorkers(workers: readonly Worker[], logger: Logger): Promise<() => Promise<void>> {
  const started: Worker[] = [];
  const stopStarted = async (): Promise<void> => {
    let first: Error | undefined;
    for (const worker of started.reverse()) {
      try {
        await worker.stop();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        logger.error({ worker: worker.name, err: error.message }, 'a worker failed to stop');
        first ??= error;
      }
    }
    if (first) throw first;
  };
  for (const worker of workers) {
    try {
      await worker.start();
    } catch (err) {
      logger.debug({ worker: worker.name }, 'start-up failed; stopping what had started');
      await stopStarted().catch(() => undefined);
      throw err;
    }
    started.push(worker);
  }
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stopStarted());
}
