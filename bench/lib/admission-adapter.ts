import fs from 'node:fs';
import path from 'node:path';
import type { Benchmark } from './benchmark';

type Phase = { rps: number; p50: number; p99: number; errors: number };
type Measure = (argv: readonly string[]) => Promise<{ max: Record<string, Phase>; paced: Record<string, Phase> }>;

/**
 * The admission rows (bench/admission.ts, its own servers and scratch databases) as a Benchmark of this
 * runner: each run calls its measureAdmission once, with this runner's phase length.
 */
export function admissionBenchmark(): Benchmark | undefined {
  const file = path.join(__dirname, '..', 'admission.js');
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional module, loaded only when it has been built
  const measure = (require(file) as { measureAdmission?: Measure }).measureAdmission;
  if (!measure) return undefined;
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
      { id: 'admission.cold.rate', label: 'admission cold max rate', unit: 'req/s', baselineLabel: 'bare node:https' },
      {
        id: 'admission.cold.p99',
        label: 'admission cold p99 @ half max',
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
    async run(ctx) {
      const argv = ['--duration', String(Math.max(1, Math.round(ctx.durationMs / 1000)))];
      if (ctx.quick) argv.push('--quick');
      // It makes its scratch databases on the same server as the other benchmarks.
      process.env.BENCH_DATABASE_URL ??= ctx.databaseServerUrl;
      const { max, paced } = await measure(argv);
      const bare = 'bare https';
      for (const n of [bare, 'warm', 'cold', 'vulns']) ctx.recordErrors(`admission ${n}`, { errors: max[n]!.errors + paced[n]!.errors });
      return {
        'admission.warm.rate': { value: max.warm!.rps, baseline: max[bare]!.rps },
        'admission.warm.p99': { value: paced.warm!.p99, baseline: paced[bare]!.p99 },
        'admission.cold.rate': { value: max.cold!.rps, baseline: max[bare]!.rps },
        'admission.cold.p99': { value: paced.cold!.p99, baseline: paced[bare]!.p99 },
        'admission.vulns.rate': { value: max.vulns!.rps, baseline: max[bare]!.rps },
        'admission.vulns.p99': { value: paced.vulns!.p99, baseline: paced[bare]!.p99 },
      };
    },
  };
}
