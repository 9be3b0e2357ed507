import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { ATTESTD_BIN } from './run-attestd';
import { TEST_JWT_SECRET } from './test-server';

const START_TIMEOUT_MS = 90_000;

/**
 * One `attestd serve` as an OS process, as users run it: `env` on top of a minimal environment (no
 * DATABASE_URL of the test run leaks in). Resolves `ready` with its REST port once it logs "attestd serving";
 * keeps its last log lines for failure messages.
 */
export class ReplicaProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly ready: Promise<{ httpPort: number; grpcPort: number }>;
  private readonly lines: string[] = [];

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [ATTESTD_BIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        LOG_LEVEL: 'info',
        JWT_SECRET: TEST_JWT_SECRET,
        SHUTDOWN_GRACE_MS: '3000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`attestd did not start within ${START_TIMEOUT_MS} ms:\n${this.log()}`)),
        START_TIMEOUT_MS,
      );
      readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
        this.keep(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; httpPort?: number; grpcPort?: number };
          if (entry.msg === 'attestd serving' && typeof entry.httpPort === 'number') {
            clearTimeout(timer);
            resolve({ httpPort: entry.httpPort, grpcPort: entry.grpcPort ?? 0 });
          }
        } catch {
          // not JSON
        }
      });
      readline.createInterface({ input: this.child.stderr! }).on('line', (line) => this.keep(line));
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`attestd exited (${signal ?? code}) before serving:\n${this.log()}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  /** The last log lines (for failure messages). */
  log(): string {
    return this.lines.join('\n');
  }

  /** Log lines (JSON entries) whose message matches. */
  entries(msg: RegExp): string[] {
    return this.lines.filter((l) => msg.test(l));
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private keep(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 400) this.lines.shift();
  }
}
