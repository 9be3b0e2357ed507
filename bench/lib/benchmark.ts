import type pg from 'pg';
import type { BenchServer } from './bench-server';
import type { CpuSplit } from './generator';

/** What a figure is held to (docs/performance.md and issue 7); checked and printed, never asserted by tests. */
export interface Target {
  /** attestd / baseline must be at least this (throughput figures). */
  readonly ratioMin?: number;
  /** attestd / baseline must be at most this (latency figures). */
  readonly ratioMax?: number;
  /** The figure itself must be at most this, in its unit. */
  readonly valueMax?: number;
}

/** One figure a benchmark reports: attestd's number and, when it has one, its baseline measured in the same run. */
export interface FigureSpec {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly baselineLabel?: string;
  readonly target?: Target;
}

/** One run's measurement of a figure (value) and of its baseline in the same run. */
export interface Measurement {
  readonly value: number;
  readonly baseline?: number;
  /** CPU the load generator used while it measured the value, in cores (its CPU time over the phase's wall time). */
  readonly generatorCpu?: number;
  /** Likewise for the baseline's phase (a generator process, or this process for the pg and crypto loops). */
  readonly baselineGeneratorCpu?: number;
}

/** Everything a benchmark run may use. */
export interface BenchContext {
  readonly quick: boolean;
  /** How long each measured load phase lasts. */
  readonly durationMs: number;
  /** Stored occurrences in the scale project for the list and paging benchmarks. */
  readonly scale: number;
  readonly server: BenchServer;
  /** A pool on the benchmark database, as large as the server's (DATABASE_POOL_MAX). */
  readonly pg: pg.Pool;
  readonly poolSize: number;
  /** BENCH_DATABASE_URL: the server holding the benchmark database (benchmarks that make their own). */
  readonly databaseServerUrl: string;
  /** An admin bearer token the server accepts. */
  readonly token: string;
  /** Which CPUs attestd and the generators run on (pinned above 2 cores). */
  readonly split: CpuSplit;
  readonly log: (line: string) => void;
  /** Counts failed requests of a load phase (a run with failures exits non-zero) and logs the first. */
  recordErrors(where: string, result: { errors: number; firstError?: string }): void;
}

/** A benchmark: its figures, optional one-time preparation, and one run that measures every figure once. */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  readonly figures: readonly FigureSpec[];
  /** Runs in quick mode when fewer than the runner's (a benchmark with a long set-up keeps the smoke run short). */
  readonly quickRuns?: number;
  prepare?(ctx: BenchContext): Promise<void>;
  run(ctx: BenchContext, runIndex: number): Promise<Record<string, Measurement>>;
}
