import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deepPaging } from './deep-paging';
import { grafeasBatch } from './grafeas-batch';
import { grafeasList } from './grafeas-list';
import { grafeasWrite } from './grafeas-write';
import { admissionBenchmark } from './lib/admission-adapter';
import { autovacuumOn, benchPool, ensureBenchDatabase, vacuumChurnedTables } from './lib/bench-db';
import type { BenchContext, Benchmark, Measurement } from './lib/benchmark';
import { startBenchServer } from './lib/bench-server';
import { BENCH_JWT_SECRET, benchToken } from './lib/fixtures';
import { formatComparison, readReport } from './lib/compare';
import { cpuSplit, ensureGenerators, pin } from './lib/generator';
import { machineInfo } from './lib/machine';
import { formatScaling, workerScaling, type ScalingResult } from './worker-scaling';
import { figureResult, formatTable, writeReport, type FigureResult } from './lib/report';
import { MEMORY_BENCHMARKS, MEMORY_FIGURES } from './memory';

// npm run bench [-- <name>…] [--quick] [--runs N] [--duration SECONDS] [--scale OCCURRENCES] [--cpu-prof]
// Runs the benchmarks against attestd as a child process on BENCH_DATABASE_URL's server (in its own
// database, BENCH_DATABASE_NAME, default attestd_bench), prints a table and writes bench/results/<time>.json.
// npm run bench -- --compare A.json B.json: prints two result files side by side (ratios to their same-run
// baselines, B/A, and whether the runs' ranges overlap) and runs nothing.

const BUILT_IN: readonly Benchmark[] = [grafeasWrite, grafeasBatch, grafeasList, deepPaging];
/**
 * Benchmarks other modules contribute: bench/<file>.ts exporting a Benchmark (lib/benchmark.ts) under any
 * name, or an adapter here for a module with its own shape. Listed so that the runner names them in its
 * report while they are not written yet.
 */
const CONTRIBUTED: readonly { name: string; files: readonly string[]; adapter?: () => Benchmark | undefined }[] = [
  { name: 'admission', files: [], adapter: admissionBenchmark },
  { name: 'push', files: ['push-to-attested', 'registry-hooks', 'registry-push'] },
];
const POOL_SIZE = 10;

interface Options {
  names: string[];
  quick: boolean;
  runs: number;
  durationMs: number;
  scale: number;
  cpuProf: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const names: string[] = [];
  let quick = false;
  let runs: number | undefined;
  let duration: number | undefined;
  let scale: number | undefined;
  let cpuProf = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): number => {
      const v = Number(inline ?? argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number`);
      return v;
    };
    if (flag === '--quick') quick = true;
    else if (flag === '--runs') runs = value();
    else if (flag === '--duration') duration = value();
    else if (flag === '--scale') scale = value();
    else if (flag === '--cpu-prof') cpuProf = true;
    else if (flag.startsWith('--')) throw new Error(`unknown flag ${flag}`);
    else names.push(a);
  }
  return {
    names,
    quick,
    runs: Math.round(runs ?? (quick ? 2 : 3)),
    durationMs: (duration ?? (quick ? 0.75 : 5)) * 1000,
    scale: Math.round(scale ?? (quick ? 10_000 : 1_000_000)),
    cpuProf,
  };
}

/** Loads a contributed benchmark module if it has been written: the first export shaped like a Benchmark. */
function loadContributed(files: readonly string[]): Benchmark | undefined {
  for (const file of files) {
    const js = path.join(__dirname, `${file}.js`);
    if (!fs.existsSync(js)) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional module, loaded only when it has been built
    const mod = require(js) as Record<string, unknown>;
    const found = Object.values(mod).find(
      (v): v is Benchmark =>
        !!v && typeof v === 'object' && typeof (v as Benchmark).run === 'function' && Array.isArray((v as Benchmark).figures),
    );
    if (found) return found;
  }
  return undefined;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--compare') {
    if (argv.length !== 3) throw new Error('usage: npm run bench -- --compare A.json B.json');
    const [a, b] = [argv[1]!, argv[2]!];
    process.stdout.write(`${formatComparison(readReport(a), readReport(b), [path.basename(a), path.basename(b)])}\n`);
    return 0;
  }
  const options = parseArgs(argv);
  const startedAt = new Date();
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const available = new Map<string, Benchmark>(BUILT_IN.map((b) => [b.name, b]));
  const notPresent: string[] = [];
  for (const c of CONTRIBUTED) {
    const b = c.adapter?.() ?? loadContributed(c.files);
    if (b) available.set(b.name, b);
    else notPresent.push(c.name);
  }
  const known = [...available.keys(), 'memory', 'workers', ...notPresent];
  for (const n of options.names) if (!known.includes(n)) throw new Error(`unknown benchmark "${n}"; known: ${known.join(', ')}`);
  const wanted = options.names.length ? options.names : known;
  const selected = [...available.values()].filter(
    (b) => wanted.includes(b.name) || (wanted.includes('memory') && MEMORY_BENCHMARKS.includes(b.name)),
  );
  // The memory rows whose benchmarks run in this invocation.
  const memoryFigures = MEMORY_FIGURES.filter((m) => selected.some((b) => m.benchmarks.includes(b.name)));
  const missing = notPresent.filter((n) => wanted.includes(n));
  for (const n of missing) log(`${n}: not present yet (its module under bench/ is not written); skipped`);

  const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const db = await ensureBenchDatabase(serverUrl, process.env.BENCH_DATABASE_NAME ?? 'attestd_bench');
  const pool = benchPool(db.url, POOL_SIZE);
  const machine = await machineInfo(pool);
  const split = cpuSplit(machine.cores);
  log(
    `attestd bench (${options.quick ? 'quick' : 'full'}): ${selected.map((b) => b.name).join(', ')} ` +
      `on ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}, database ${db.name}`,
  );
  log(`CPUs: ${split.description}`);
  ensureGenerators(log);
  if (!(await autovacuumOn(pool)))
    log('PostgreSQL runs with autovacuum off: the bench vacuums the tables it churns before each benchmark and after each reset');

  const resultsDir = process.env.BENCH_RESULTS_DIR ?? path.join(__dirname, '..', '..', 'bench', 'results');
  const profDir = path.join(resultsDir, 'profiles');
  const server = await startBenchServer({
    databaseUrl: db.url,
    jwtSecret: BENCH_JWT_SECRET,
    poolMax: POOL_SIZE,
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-bench-')),
    nodeArgs: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  pin(server.pid, split.server);
  const requestErrors: Record<string, number> = {};
  const figures: FigureResult[] = [];
  // Per memory row, per run: the peak RSS of each sampled benchmark's run.
  const rssPeaks = new Map(memoryFigures.map((m) => [m.spec.id, Array.from({ length: options.runs }, (): number[] => [])]));
  let scaling: ScalingResult | undefined;
  try {
    for (const bench of selected) {
      const ctx: BenchContext = {
        quick: options.quick,
        durationMs: options.durationMs,
        scale: options.scale,
        server,
        pg: pool,
        poolSize: POOL_SIZE,
        databaseServerUrl: serverUrl,
        token: benchToken(),
        split,
        log,
        recordErrors(where, r) {
          if (!r.errors) return;
          requestErrors[where] = (requestErrors[where] ?? 0) + r.errors;
          log(`${where}: ${r.errors} failed requests (first: ${r.firstError})`);
        },
      };
      log(`${bench.name}: VACUUM (ANALYZE) of the churned tables took ${(await vacuumChurnedTables(pool)).toFixed(1)} s`);
      const started = Date.now();
      await bench.prepare?.(ctx);
      // One shorter warm-up run (JIT, pools, caches), discarded, except in quick mode.
      if (!options.quick) await bench.run({ ...ctx, durationMs: Math.min(1500, options.durationMs) }, -1);
      const runs: Record<string, Measurement>[] = [];
      const runCount = options.quick && bench.quickRuns ? Math.min(bench.quickRuns, options.runs) : options.runs;
      const generatorCpu: number[] = [];
      for (let i = 0; i < runCount; i++) {
        const memory = memoryFigures.find((m) => m.benchmarks.includes(bench.name));
        const stopSampling = memory ? server.sampleRss() : undefined;
        // Loads driven from this process (push, the pg baselines): its CPU time over the run's wall time.
        const cpuBefore = process.cpuUsage();
        const wallBefore = performance.now();
        runs.push(await bench.run(ctx, i));
        const cpu = process.cpuUsage(cpuBefore);
        generatorCpu.push((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - wallBefore));
        if (memory && stopSampling) rssPeaks.get(memory.spec.id)![i]!.push(stopSampling());
        log(`${bench.name}: run ${i + 1}/${runCount} done`);
      }
      for (const spec of bench.figures) {
        const values = runs.map((r) => r[spec.id]?.value ?? NaN);
        // The generator process's CPU where the figure has one; else this process's (it drove the load).
        const cpu = runs.map((r, i) => r[spec.id]?.generatorCpu ?? generatorCpu[i]!);
        const baseCpu = runs.map((r) => r[spec.id]?.baselineGeneratorCpu).filter((c): c is number => c !== undefined);
        figures.push(
          figureResult(
            bench.name,
            spec,
            values,
            runs.map((r) => r[spec.id]?.baseline),
            cpu,
            baseCpu,
          ),
        );
      }
      log(`${bench.name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    if (wanted.includes('workers')) {
      log(`workers: VACUUM (ANALYZE) of the churned tables took ${(await vacuumChurnedTables(pool)).toFixed(1)} s`);
      const started = Date.now();
      scaling = await workerScaling({
        databaseUrl: db.url,
        pg: pool,
        poolSize: POOL_SIZE,
        // The list rows read the scale data set the list benchmark uses (seeded when missing).
        scale: options.scale,
        durationMs: options.durationMs,
        runs: options.quick ? 1 : options.runs,
        split,
        token: benchToken(),
        log,
        recordErrors(where, r) {
          if (!r.errors) return;
          requestErrors[where] = (requestErrors[where] ?? 0) + r.errors;
          log(`${where}: ${r.errors} failed requests (first: ${r.firstError})`);
        },
      });
      log(`workers: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    for (const m of memoryFigures) {
      const peaks = rssPeaks.get(m.spec.id)!.filter((p) => p.length);
      figures.push(
        figureResult(
          'memory',
          m.spec,
          peaks.map((p) => Math.max(...p)),
          [],
        ),
      );
    }
  } finally {
    const peak = server.peakRssMb();
    await server.stop();
    await pool.end();
    const finishedAt = new Date();
    const report = {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      mode: options.quick ? ('quick' as const) : ('full' as const),
      options: { ...options, poolSize: POOL_SIZE, database: db.name },
      machine,
      cpuSplit: split.description,
      benchmarks: selected
        .map((b) => b.name)
        .concat(memoryFigures.length ? ['memory'] : [])
        .concat(scaling ? ['workers'] : []),
      figures,
      notPresent: missing,
      requestErrors,
      serverPeakRssMb: peak,
      workerScaling: scaling,
    };
    process.stdout.write(`\n${formatTable(figures)}\n\n`);
    if (scaling) process.stdout.write(`${formatScaling(scaling)}\n(${scaling.split})\n\n`);
    const file = writeReport(resultsDir, report);
    log(`results: ${file} (${report.seconds.toFixed(0)} s; server peak RSS ${peak.toFixed(0)} MB)`);
  }
  const incomplete = figures.filter((f) => !f.samples.every(Number.isFinite));
  if (incomplete.length) log(`figures without a value: ${incomplete.map((f) => f.id).join(', ')}`);
  return Object.keys(requestErrors).length || incomplete.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
