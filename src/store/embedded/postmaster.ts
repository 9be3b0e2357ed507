import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Logger } from '../../logger';
import { EmbeddedDatabaseError } from './embedded-database-error';
import type { PostgresBinaries } from './postgres-binaries';
import { postgresEnvironment } from './postgres-cluster';
import type { PostgresUser } from './postgres-user';
import { canInspectProcesses, isProcessAlive, pidExists, processCwd } from './process-info';

const READY_TIMEOUT_MS = 5 * 60_000; // crash recovery replays WAL before the server is ready
const FAST_SHUTDOWN_TIMEOUT_MS = 60_000;
const IMMEDIATE_SHUTDOWN_TIMEOUT_MS = 10_000;
const OUTPUT_LINES_KEPT = 40;

// Settings passed on the command line so that no edit of postgresql.conf can weaken them.
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=', // no socket file: its path length limit would constrain DATA_DIR
  'fsync=on',
  'full_page_writes=on',
  'synchronous_commit=on',
  'cluster_name=attestd', // shows in ps: "postgres: attestd: checkpointer"
  'log_error_verbosity=terse', // no DETAIL lines, which can quote row values
  'log_min_error_statement=panic', // never log statement text, which can carry secrets
];

/** A PostgreSQL server that this process started and supervises. */
export interface RunningPostmaster {
  readonly pid: number;
  readonly port: number;
  /** Fast shutdown (SIGINT), escalating to immediate and then SIGKILL on timeouts; idempotent. */
  stop(): Promise<void>;
}

/** The server exited before it became ready; output holds its last log lines for diagnosis. */
export class PostmasterStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'PostmasterStartError';
  }
}

/** Starts `postgres` on pgDir and resolves once it accepts connections. */
export async function launchPostmaster(options: {
  binaries: PostgresBinaries;
  pgDir: string;
  port: number;
  user: PostgresUser;
  logger: Logger;
}): Promise<RunningPostmaster> {
  const { pgDir, port, logger } = options;
  const args = ['-D', pgDir, '-p', String(port), ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting])];
  // detached: a terminal's Ctrl-C must not stop the database under requests that are still draining.
  const child = spawn(options.binaries.postgres, args, {
    cwd: pgDir,
    env: postgresEnvironment(),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(options.user.switched ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  const recent: string[] = [];
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    recent.push(line);
    if (recent.length > OUTPUT_LINES_KEPT) recent.shift();
    if (/\b(PANIC|FATAL):/.test(line)) logger.warn({ postgres: line }, 'postgres');
    else logger.debug({ postgres: line }, 'postgres');
  });
  let stopping = false;
  let outcome: 'ready' | 'exited' | 'timeout' = 'exited';
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const watchdog = child.pid === undefined ? undefined : spawnWatchdog(child.pid);
  void exited.then((how) => {
    watchdog?.kill('SIGKILL');
    if (!stopping && outcome === 'ready') {
      logger.error({ pid: child.pid, how }, 'embedded PostgreSQL exited unexpectedly; attestd cannot serve requests until restarted');
    }
  });
  outcome = child.pid === undefined ? 'exited' : await waitUntilReady(pgDir, child.pid, exited);
  if (outcome !== 'ready') {
    if (outcome === 'timeout') {
      await stopChild(child, exited, logger);
      throw new EmbeddedDatabaseError('START_FAILED', `PostgreSQL was not ready after ${READY_TIMEOUT_MS / 1000} s: ${recent.join('\n')}`);
    }
    const how = await exited;
    await Promise.race([closed, sleep(1000)]); // let the last log lines arrive
    const log = recent.join('\n');
    throw new PostmasterStartError(`PostgreSQL did not start (${how}): ${log}`, log);
  }
  const pid = child.pid!;
  let stopped: Promise<void> | undefined;
  return {
    pid,
    port,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        watchdog?.kill('SIGKILL');
        await stopChild(child, exited, logger);
      })()),
  };
}

/** Polls postmaster.pid until it names our child and says "ready" (what pg_ctl does), or the child exits. */
async function waitUntilReady(pgDir: string, pid: number, exited: Promise<string>): Promise<'ready' | 'exited' | 'timeout'> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
    const lines = (await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
    if (gone) return 'exited';
    if (lines[0] === String(pid) && lines[7]?.trim() === 'ready') return 'ready';
    await sleep(delay);
  }
  return 'timeout';
}

async function stopChild(child: ChildProcess, exited: Promise<string>, logger: Logger): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', FAST_SHUTDOWN_TIMEOUT_MS],
    ['SIGQUIT', IMMEDIATE_SHUTDOWN_TIMEOUT_MS],
    ['SIGKILL', Infinity],
  ];
  for (const [signal, timeoutMs] of steps) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (signal !== 'SIGINT') logger.warn({ pid: child.pid, signal }, 'embedded PostgreSQL did not stop in time; escalating');
    child.kill(signal);
    if (await settlesWithin(exited, timeoutMs)) return;
  }
}

/**
 * A tiny shell that holds the read end of a pipe from this process. When attestd dies, even by
 * kill -9, the pipe reaches EOF and the shell asks PostgreSQL for a fast shutdown, so the server
 * does not outlive us. It ignores terminal signals; stop() and the exit handler SIGKILL it.
 * If it dies as well, the next start finds the orphan (stopOrphanPostmaster).
 */
function spawnWatchdog(postgresPid: number): ChildProcess {
  const script = 'trap "" INT TERM HUP QUIT; while read -r _; do :; done; kill -INT "$1" 2>/dev/null';
  const watchdog = spawn('/bin/sh', ['-c', script, 'attestd-postgres-watchdog', String(postgresPid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.stdin.on('error', () => undefined);
  watchdog.on('error', () => undefined);
  return watchdog;
}

/**
 * Called while holding the data directory lock: a live postmaster on pgDir can only be an orphan
 * of an attestd that died without stopping it, so stop it. A postmaster.pid naming a pid that is
 * not a postmaster on pgDir is stale: remove it when postgres would not (a reused pid, or a zombie
 * its new parent has not reaped yet, both of which answer kill(pid, 0)). Removing the file is
 * safe: postgres still refuses to start while backends of a dead postmaster hold its shared memory.
 */
export async function stopOrphanPostmaster(pgDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  if (isProcessAlive(pid)) {
    if (!canInspectProcesses()) {
      throw new EmbeddedDatabaseError(
        'START_FAILED',
        `${pidFile} names the live process ${pid} and /proc is unavailable to check it; stop that PostgreSQL or remove the file`,
      );
    }
    if (processCwd(pid) === (await fs.realpath(pgDir))) await stopOrphan(pid, pgDir, logger);
    else if (isProcessAlive(pid)) logger.warn({ pid }, 'removing a stale postmaster.pid whose pid now belongs to another process');
  }
  if (pidExists(pid)) await fs.rm(pidFile, { force: true });
}

async function stopOrphan(pid: number, pgDir: string, logger: Logger): Promise<void> {
  logger.warn({ pid }, 'stopping an orphaned embedded PostgreSQL left by an attestd that did not shut down');
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', FAST_SHUTDOWN_TIMEOUT_MS],
    ['SIGQUIT', IMMEDIATE_SHUTDOWN_TIMEOUT_MS],
    ['SIGKILL', IMMEDIATE_SHUTDOWN_TIMEOUT_MS],
  ];
  for (const [signal, timeoutMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // already gone
    }
    const deadline = Date.now() + timeoutMs;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(20);
    if (!isProcessAlive(pid)) return;
  }
  throw new EmbeddedDatabaseError('START_FAILED', `the orphaned PostgreSQL process ${pid} on ${pgDir} did not exit; stop it by hand`);
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (!Number.isFinite(ms)) return promise.then(() => true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
