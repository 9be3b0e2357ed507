import crypto from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serverExecArgv } from '../../src/app/server-node-flags';

export const BENCH_MASTER_KEY = crypto.createHash('sha256').update('attestd-bench-master-key').digest('base64');

/** A running attestd child process and its memory readings. */
export interface BenchServer {
  readonly pid: number;
  readonly httpUrl: string;
  readonly grpcAddress: string;
  /** Current resident set size in MB. */
  rssMb(): number;
  /** Peak resident set size since the process started (VmHWM), in MB. */
  peakRssMb(): number;
  /** Samples RSS every 50 ms until the returned function is called; it answers the highest sample in MB. */
  sampleRss(): () => number;
  stop(): Promise<void>;
}

/** Options for the server child: its environment and extra node flags (e.g. --cpu-prof). */
export interface ServerOptions {
  readonly databaseUrl: string;
  readonly jwtSecret: string;
  readonly poolMax: number;
  readonly nodeArgs?: readonly string[];
  readonly dataDir: string;
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Forks dist/bench/lib/server-child.js on loopback with ephemeral ports and waits until it serves. */
export async function startBenchServer(options: ServerOptions): Promise<BenchServer> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = fork(path.join(__dirname, 'server-child.js'), [], {
    // With the V8 flags `attestd serve` gives its processes (the Dockerfile's NODE_OPTIONS, the workers' execArgv).
    execArgv: serverExecArgv(options.nodeArgs ?? [], process.env.NODE_OPTIONS),
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      JWT_SECRET: options.jwtSecret,
      // A fixed benchmark-only master key: keys the benchmarks created in earlier invocations (the database is
      // reused) stay usable although every invocation has a fresh DATA_DIR.
      MASTER_KEY: BENCH_MASTER_KEY,
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      DATA_DIR: options.dataDir,
      DATABASE_POOL_MAX: String(options.poolMax),
      LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'error',
      SHUTDOWN_GRACE_MS: '3000',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ports = await new Promise<{ httpPort: number; grpcPort: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { httpPort: number; grpcPort: number }));
    child.once('exit', (code) => reject(new Error(`attestd exited with ${code} before serving`)));
    child.once('error', reject);
  });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid,
    httpUrl: `http://127.0.0.1:${ports.httpPort}`,
    grpcAddress: `127.0.0.1:${ports.grpcPort}`,
    rssMb: () => procStatusMb(pid, 'VmRSS'),
    peakRssMb: () => procStatusMb(pid, 'VmHWM'),
    sampleRss() {
      let peak = procStatusMb(pid, 'VmRSS');
      const timer = setInterval(() => {
        const now = procStatusMb(pid, 'VmRSS');
        if (now > peak) peak = now;
      }, 50);
      return () => {
        clearInterval(timer);
        return Math.max(peak, procStatusMb(pid, 'VmRSS'));
      };
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.send('stop');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
