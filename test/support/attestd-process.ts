import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { ATTESTD_BIN as BIN } from './run-attestd';
import { TEST_JWT_SECRET } from './test-server';

const START_TIMEOUT_MS = 90_000;

/** One `attestd serve` child process. */
export class AttestdProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly listening: Promise<number>;
  private output: string[] = [];

  /**
   * `settings` go into its environment on top of this process's (without DATABASE_URL unless given); `node`: another
   * Node binary than this one.
   */
  constructor(settings: Record<string, string>, options: { node?: string } = {}) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    delete env.TEST_DATABASE_URL;
    Object.assign(env, {
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      SHUTDOWN_GRACE_MS: '5000',
      ...settings,
    });
    this.child = spawn(options.node ?? process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.listening = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`attestd did not start within ${START_TIMEOUT_MS} ms:\n${this.log()}`)),
        START_TIMEOUT_MS,
      );
      readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
        this.keep(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; httpPort?: number };
          if (entry.msg === 'attestd serving' && typeof entry.httpPort === 'number') {
            clearTimeout(timer);
            resolve(entry.httpPort);
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
    this.listening.catch(() => undefined);
  }

  private keep(line: string): void {
    this.output.push(line);
    if (this.output.length > 200) this.output.shift();
  }

  log(): string {
    return this.output.join('\n');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async baseUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.listening}`;
  }

  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM); resolves the exit code. */
  async terminate(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
