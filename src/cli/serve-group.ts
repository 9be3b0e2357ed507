import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { serverExecArgv } from '../app/server-node-flags';
import type { Logger } from '../logger';
import { SiblingRelay } from './sibling-relay';

/** The environment variable that tells a forked process its place in the group (0 runs the background jobs). */
export const WORKER_INDEX_VARIABLE = 'ATTESTD_WORKER_INDEX';

/** How long a worker that died is waited for before it is forked again (a crash loop stays slow and loud). */
const RESTART_DELAY_MS = 1000;

/** What a serving process tells the primary once it listens. */
interface ReadyMessage {
  readonly attestd: 'ready';
}

/** What a process that could not start tells the primary, which says it once for the whole group. */
interface FailedMessage {
  readonly attestd: 'failed';
  readonly message: string;
}

const isReady = (m: unknown): m is ReadyMessage => (m as ReadyMessage | null)?.attestd === 'ready';
const isFailed = (m: unknown): m is FailedMessage =>
  (m as FailedMessage | null)?.attestd === 'failed' && typeof (m as FailedMessage).message === 'string';

/** The primary died (killed, not stopped): a worker must not serve on without its supervisor. */
const orphaned = (): never => process.exit(1);

/** In a worker of the group: tells the primary this process serves; stops it when the primary is gone. */
export function reportReady(): void {
  if (!cluster.isWorker) return;
  process.send?.({ attestd: 'ready' } satisfies ReadyMessage);
  process.once('disconnect', orphaned);
}

/**
 * Says why this process could not start: on stderr when it runs alone; in a worker of the group, to the primary
 * (which prints the first such line once), after which the worker leaves the group so that it can exit.
 */
export function reportStartFailure(message: string): void {
  if (!cluster.isWorker) {
    process.stderr.write(`attestd: ${message}\n`);
    return;
  }
  process.send?.({ attestd: 'failed', message } satisfies FailedMessage, () => process.disconnect?.());
}

/** In a worker of the group, once it has stopped: closes the channel to the primary so that the process can exit. */
export function leaveGroup(): void {
  if (!cluster.isWorker) return;
  process.off('disconnect', orphaned);
  process.disconnect?.();
}

/** The worker index of this process (0 outside a group). */
export function workerIndex(): number {
  return cluster.isWorker ? Number(process.env[WORKER_INDEX_VARIABLE] ?? 0) : 0;
}

/**
 * Runs `attestd serve` (or `attestd admission`) as `count` processes sharing its ports (node:cluster): forks them, forks again one that
 * dies while serving (same index), forwards SIGTERM/SIGINT and waits for every one to drain. A worker that exits
 * before it ever served (a bad setting) stops the group with its exit code. Resolves the exit code.
 */
export function runServeGroup(count: number, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const workers = new Map<number, ClusterWorker>();
    const served = new Set<number>();
    let stopping = false;
    let exitCode = 0;
    let failure: string | undefined;
    const relay = new SiblingRelay(workers);
    // Every worker runs with the server's V8 flags (the young generation's size), unless the operator set them.
    cluster.setupPrimary({ execArgv: serverExecArgv(process.execArgv, process.env.NODE_OPTIONS) });

    const fork = (index: number): void => {
      const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) });
      workers.set(index, worker);
      worker.on('message', (m: unknown) => {
        if (relay.handle(index, m)) return;
        if (isFailed(m)) {
          if (failure === undefined) process.stderr.write(`attestd: ${m.message}\n`);
          failure ??= m.message;
          return;
        }
        if (!isReady(m)) return;
        served.add(index);
        if (served.size === count) logger.info({ workers: count, pid: process.pid }, 'attestd serving with every worker');
      });
      worker.on('exit', (code, signal) => {
        workers.delete(index);
        relay.gone(index);
        if (stopping) {
          if (workers.size === 0) resolve(exitCode);
          return;
        }
        if (!served.has(index)) {
          // It never served: the settings are wrong (the primary printed why), and so would be every fork.
          exitCode = code || 1;
          stop();
          if (workers.size === 0) resolve(exitCode);
          return;
        }
        logger.error({ worker: index, code, signal }, 'attestd worker died; starting it again');
        setTimeout(() => {
          if (!stopping) fork(index);
        }, RESTART_DELAY_MS).unref();
      });
    };

    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const w of workers.values()) w.process.kill('SIGTERM');
    };

    process.once('SIGTERM', () => {
      logger.info({ signal: 'SIGTERM', workers: workers.size }, 'signal received; draining every worker');
      stop();
      if (workers.size === 0) resolve(exitCode);
    });
    process.once('SIGINT', () => {
      logger.info({ signal: 'SIGINT', workers: workers.size }, 'signal received; draining every worker');
      stop();
      if (workers.size === 0) resolve(exitCode);
    });
    for (let i = 0; i < count; i++) fork(i);
  });
}
