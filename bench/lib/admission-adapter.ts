import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Benchmark } from './benchmark';

type Phase = { rps: number; p50: number; p99: number; errors: number; generatorCpu: number };

/** What bench/admission.ts --json prints its figures after. */
const MARK = '@@admission ';

/** Runs bench/admission.js --json as a child process (pinned to attestd's CPUs when the runner pins) and reads its figures. */
function measureInChild(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cpus: string | undefined,
  log: (line: string) => void,
): Promise<{ max: Record<string, Phase>; paced: Record<string, Phase> }> {
  const script = path.join(__dirname, '..', 'admission.js');
  const [command, args] =
    cpus === undefined ? [process.execPath, [script, ...argv]] : ['taskset', ['-c', cpus, process.execPath, script, ...argv]];
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      if (err || !line) {
        reject(new Error(`bench/admission.js failed: ${err?.message ?? 'no figures'}\n${stderr.slice(-3000)}`));
        return;
      }
      for (const l of stdout.split('\n')) if (l.trim() && !l.startsWith(MARK)) log(`admission: ${l}`);
      resolve(JSON.parse(line.slice(MARK.length)) as { max: Record<string, Phase>; paced: Record<string, Phase> });
    });
  });
}

/**
 * The admission rows (bench/admission.ts, its own servers and scratch databases, in a child process) as a
 * Benchmark of this runner: each run measures once, with this runner's phase length.
 */
export function admissionBenchmark(): Benchmark | undefined {
  if (!fs.existsSync(path.join(__dirname, '..', 'admission.js'))) return undefined;
  return {
    name: 'admission',
    // Two servers, keys, policies and seeding per run: once is enough for a smoke run.
    quickRuns: 1,
    description:
      'AdmissionReviews/s and p99 at half the max rate, warm and cold verdict cache, cold with 2,000 vulnerability findings per image, vs bare node:https over the same TLS',
    figures: [
      {
        id: 'admission.warm.rate',
        label: 'admission warm max rate',
        unit: 'req/s',
        baselineLabel: 'bare node:https',
        target: { ratioMin: 0.5 },
      },
      {
        id: 'admission.warm.p99',
        label: 'admission warm p99 @ half max',
        unit: 'ms',
        baselineLabel: 'bare node:https',
        target: { valueMax: 5 },
      },
      { id: 'admission.cold.rate', label: 'admission cold max rate, 1M stored', unit: 'req/s', baselineLabel: 'bare node:https' },
      {
        id: 'admission.cold.p99',
        label: 'admission cold p99 @ half max, 1M stored',
        unit: 'ms',
        baselineLabel: 'bare node:https',
        target: { valueMax: 25 },
      },
      {
        id: 'admission.vulns.rate',
        label: 'admission cold max rate, 2,000 findings per image',
        unit: 'req/s',
        baselineLabel: 'bare node:https',
      },
      {
        id: 'admission.vulns.p99',
        label: 'admission cold p99 @ half max, 2,000 findings per image',
        unit: 'ms',
        baselineLabel: 'bare node:https',
      },
    ],
    async run(ctx, runIndex) {
      // At least 2 s: a cold review with findings can take most of a second on a busy machine.
      const argv = ['--json', '--duration', String(Math.max(2, Math.round(ctx.durationMs / 1000)))];
      if (ctx.quick) argv.push('--quick');
      // The discarded warm-up run skips storing the cold server's million occurrences.
      if (runIndex < 0) argv.push('--cold-occurrences', '2000');
      // It makes its scratch databases on the same server as the other benchmarks, and uses the runner's CPU split.
      const env = {
        ...process.env,
        BENCH_DATABASE_URL: process.env.BENCH_DATABASE_URL ?? ctx.databaseServerUrl,
        BENCH_CPU_SPLIT: JSON.stringify(ctx.split),
      };
      const { max, paced } = await measureInChild(argv, env, ctx.split.server, ctx.log);
      const bare = 'bare https';
      for (const n of [bare, 'warm', 'cold', 'vulns']) ctx.recordErrors(`admission ${n}`, { errors: max[n]!.errors + paced[n]!.errors });
      const rate = (n: string) => ({
        value: max[n]!.rps,
        baseline: max[bare]!.rps,
        generatorCpu: max[n]!.generatorCpu,
        baselineGeneratorCpu: max[bare]!.generatorCpu,
      });
      const p99 = (n: string) => ({
        value: paced[n]!.p99,
        baseline: paced[bare]!.p99,
        generatorCpu: paced[n]!.generatorCpu,
        baselineGeneratorCpu: paced[bare]!.generatorCpu,
      });
      return {
        'admission.warm.rate': rate('warm'),
        'admission.warm.p99': p99('warm'),
        'admission.cold.rate': rate('cold'),
        'admission.cold.p99': p99('cold'),
        'admission.vulns.rate': rate('vulns'),
        'admission.vulns.p99': p99('vulns'),
      };
    },
  };
}
