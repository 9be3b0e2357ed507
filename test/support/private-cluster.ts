import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

// A private PostgreSQL cluster for tests that stop, break or reconfigure their server (Debian's initdb and
// pg_ctl, as the postgres user when we are root). The machine's shared server is never touched.

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** The bin directory of the newest Debian PostgreSQL package that has initdb and pg_ctl. */
export function debianPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((p) => fs.existsSync(path.join(bin, p)))) return bin;
  }
  return undefined;
}

/** A throwaway cluster in a temp directory, trust auth, listening on 127.0.0.1:port only. */
export class PrivateCluster {
  readonly dataDir: string;
  readonly logFile: string;
  constructor(
    readonly bin: string,
    readonly baseDir: string,
    readonly port: number,
  ) {
    this.dataDir = path.join(baseDir, 'pg');
    this.logFile = path.join(baseDir, 'postgres.log');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(bin: string): Promise<PrivateCluster> {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-pg-'));
    fs.chmodSync(baseDir, 0o755); // the postgres user must be able to enter it when we are root
    const cluster = new PrivateCluster(bin, baseDir, await freePort());
    if (isRoot) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      fs.chownSync(baseDir, Number(stdout.trim()), Number(gid.trim()));
    }
    await cluster.tool('initdb', [
      `--pgdata=${cluster.dataDir}`,
      '--username=postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
      '--no-sync',
    ]);
    return cluster;
  }

  /** Runs a PostgreSQL program, as the postgres user when we are root. */
  async tool(program: string, args: string[]): Promise<string> {
    const exe = path.join(this.bin, program);
    const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    try {
      const { stdout } = await run(cmd, argv, { cwd: this.baseDir, timeout: 120_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}${this.log()}`);
    }
  }

  /** Starts it; `settings` are extra server settings (`-c name=value`). */
  start(settings: Readonly<Record<string, string>> = {}): Promise<string> {
    const extra = Object.entries(settings).map(([k, v]) => ` -c ${k}=${v}`);
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=on${extra.join('')}`;
    return this.tool('pg_ctl', ['start', '-D', this.dataDir, '-w', '-t', '60', '-l', this.logFile, '-o', options]);
  }

  stop(mode: 'fast' | 'immediate' = 'fast'): Promise<string> {
    return this.tool('pg_ctl', ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', '60']);
  }

  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) the postmaster and every process it started: a server that hangs
   * without refusing anything, as a frozen VM or a stalled disk does. Connections are still accepted by the kernel.
   */
  signalAll(signal: 'SIGSTOP' | 'SIGCONT'): void {
    const postmaster = Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Frozen first, the postmaster starts no process the list below would miss; thawed last, likewise.
    if (signal === 'SIGSTOP') process.kill(postmaster, signal);
    for (const pid of childrenOf(postmaster)) process.kill(pid, signal);
    if (signal === 'SIGCONT') process.kill(postmaster, signal);
  }

  /** Stops it if it runs (whatever state the test left it in) and removes every file. */
  async destroy(): Promise<void> {
    if (fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) await this.stop('immediate').catch(() => undefined);
    fs.rmSync(this.baseDir, { recursive: true, force: true });
  }

  private log(): string {
    try {
      return `\n--- postgres log ---\n${fs.readFileSync(this.logFile, 'utf8').slice(-3000)}`;
    } catch {
      return '';
    }
  }
}

/** The processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after its closing parenthesis.
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
