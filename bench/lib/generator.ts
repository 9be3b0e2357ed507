import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

// The C load generators (wrk for HTTP/1.1 and HTTPS, h2load for gRPC and paced requests) run as their own
// processes. Each is started under a small shell that, once the generator has exited, prints its own
// /proc/<pid>/stat: the cutime and cstime fields there are the CPU time of the children it waited for, i.e.
// exactly the generator's, whatever threads it ran.

/** Debian packages of the generators, by command. */
const PACKAGES: Readonly<Record<string, string>> = { wrk: 'wrk', h2load: 'nghttp2-client' };

const STAT_MARK = '@@generator-stat ';

/** What one generator process printed and the CPU it used (cores = CPU seconds / wall seconds). */
export interface GeneratorRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** CPU time over wall time: 1 means the generator kept one core busy for the whole phase. */
  readonly cores: number;
  /** The generator's exit status (0, or what it answers when requests failed or it crashed). */
  readonly exitCode: number;
}

/** Which CPUs the server under test and the generators run on (`taskset -c` lists), or unpinned. */
export interface CpuSplit {
  readonly cores: number;
  /** undefined when the machine has 2 cores or fewer: nothing is pinned, the generator's CPU use is reported instead. */
  readonly server?: string;
  readonly generator?: string;
  /** Threads a generator runs: one per generator CPU, 1 when unpinned. */
  readonly generatorThreads: number;
  /** One line for the report. */
  readonly description: string;
}

function list(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}

/**
 * Splits `cores` CPUs between attestd and the generators: above 2 cores the generators get a quarter (at least
 * one, the highest-numbered) and attestd the rest; PostgreSQL stays unpinned (it is the machine's service). On 2
 * cores or fewer nothing is pinned: splitting would leave attestd one core, and every row reports the
 * generator's CPU use instead.
 */
export function cpuSplit(cores: number): CpuSplit {
  if (cores <= 2) {
    return {
      cores,
      generatorThreads: 1,
      description: `${cores} cores: nothing pinned (attestd, PostgreSQL and the generator share them); each row shows the generator's CPU use`,
    };
  }
  const gen = Math.max(1, Math.round(cores / 4));
  const server = list(0, cores - gen - 1);
  const generator = list(cores - gen, cores - 1);
  return {
    cores,
    server,
    generator,
    generatorThreads: gen,
    description: `${cores} cores: attestd pinned to CPUs ${server}, generators and baseline clients to ${generator} (taskset); PostgreSQL unpinned`,
  };
}

/** Pins a running process and all its threads (and the children it forks later) to `cpus` (a taskset list). */
export function pin(pid: number, cpus: string | undefined): void {
  if (cpus === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure wrk and h2load are installed: installs the missing Debian packages with apt-get (saying so), or
 * throws naming them when that is not possible.
 */
export function ensureGenerators(log: (line: string) => void): void {
  const missing = Object.keys(PACKAGES).filter((c) => !has(c));
  if (!missing.length) return;
  const packages = missing.map((c) => PACKAGES[c]!);
  log(`load generators missing (${missing.join(', ')}): installing Debian packages ${packages.join(' ')} with apt-get`);
  const asRoot = process.getuid?.() === 0;
  const apt = (args: string[]): void => {
    const r = spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  };
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', ...packages]);
  } catch (err) {
    throw new Error(`the benchmarks need ${missing.join(' and ')}: install ${packages.join(' ')} (${(err as Error).message})`);
  }
  const still = missing.filter((c) => !has(c));
  if (still.length) throw new Error(`${still.join(', ')} still missing after installing ${packages.join(' ')}`);
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** CPU seconds of the waited-for children in a /proc/<pid>/stat line (fields 16 and 17, after the command name). */
function childCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): cutime is field 16, cstime field 17.
  return (Number(fields[13]) + Number(fields[14])) / clockTicks();
}

/** Runs a generator command (pinned to `cpus` when given) and answers its output and CPU use. */
export function runGenerator(command: string, args: readonly string[], cpus: string | undefined, timeoutMs: number): Promise<GeneratorRun> {
  const argv = cpus === undefined ? [command, ...args] : ['taskset', '-c', cpus, command, ...args];
  const script = `"$@"; rc=$?; echo; echo "${STAT_MARK}$(cat /proc/$$/stat)"; exit $rc`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...argv], { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      const wallSeconds = (performance.now() - started) / 1000;
      const at = stdout.lastIndexOf(STAT_MARK);
      // A generator may exit non-zero when some requests failed; its summary says how many (the caller reads it).
      if (at < 0 || (err && err.code === undefined)) {
        const how = err ? `${err.message} (exit ${err.code}, signal ${err.signal})` : 'no CPU figure';
        reject(new Error(`${command} ${args.join(' ')} failed: ${how}\n${stderr.slice(-2000)}${stdout.slice(-2000)}`));
        return;
      }
      const cpuSeconds = childCpuSeconds(stdout.slice(at + STAT_MARK.length).trim());
      resolve({
        stdout: stdout.slice(0, at),
        stderr,
        wallSeconds,
        cpuSeconds,
        cores: cpuSeconds / wallSeconds,
        exitCode: Number(err?.code ?? 0),
      });
    });
  });
}
