import fs from 'node:fs';
import path from 'node:path';
import type { FigureSpec, Target } from './benchmark';
import type { MachineInfo } from './machine';
import type { ScalingResult } from '../worker-scaling';
import { median, summarize, type Summary } from './stats';

/** One figure's result: per-run samples, its baseline's, the ratio of each run's pair, and its target. */
export interface FigureResult {
  readonly bench: string;
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly samples: number[];
  readonly summary: Summary;
  readonly baseline?: { readonly label: string; readonly samples: number[]; readonly summary: Summary };
  /** Median over runs of attestd / baseline, each pair measured in the same run. */
  readonly ratio?: number;
  readonly ratioSummary?: Summary;
  readonly target?: Target & { readonly text: string };
  readonly met?: boolean;
  /**
   * CPU the load generator used while measuring attestd's figure, in cores (CPU time / wall time of the wrk or
   * h2load process; of this process for loads it drives itself): a value near the cores it may use means the
   * row measures the generator.
   */
  readonly generatorCpu?: Summary;
  /** Likewise while measuring the baseline. */
  readonly baselineGeneratorCpu?: Summary;
}

/** Builds a figure's result from its per-run measurements. */
export function figureResult(
  bench: string,
  spec: FigureSpec,
  values: number[],
  baselines: (number | undefined)[],
  generatorCpu: readonly number[] = [],
  baselineGeneratorCpu: readonly number[] = [],
): FigureResult {
  const summary = summarize(values);
  const base = baselines.filter((b): b is number => b !== undefined);
  const ratios = base.length === values.length ? values.map((v, i) => v / base[i]!) : [];
  const ratio = ratios.length ? median(ratios) : undefined;
  const target = spec.target ? { ...spec.target, text: targetText(spec.target, spec.unit) } : undefined;
  let met: boolean | undefined;
  if (spec.target) {
    const t = spec.target;
    met =
      (t.ratioMin === undefined || (ratio !== undefined && ratio >= t.ratioMin)) &&
      (t.ratioMax === undefined || (ratio !== undefined && ratio <= t.ratioMax)) &&
      (t.valueMax === undefined || summary.median <= t.valueMax);
  }
  return {
    bench,
    id: spec.id,
    label: spec.label,
    unit: spec.unit,
    samples: values,
    summary,
    baseline: spec.baselineLabel && base.length ? { label: spec.baselineLabel, samples: base, summary: summarize(base) } : undefined,
    ratio,
    ratioSummary: ratios.length ? summarize(ratios) : undefined,
    target,
    met,
    generatorCpu: generatorCpu.length ? summarize(generatorCpu) : undefined,
    baselineGeneratorCpu: baselineGeneratorCpu.length ? summarize(baselineGeneratorCpu) : undefined,
  };
}

function targetText(t: Target, unit: string): string {
  const parts: string[] = [];
  if (t.ratioMin !== undefined) parts.push(`≥ ${t.ratioMin}×`);
  if (t.ratioMax !== undefined) parts.push(`≤ ${t.ratioMax}×`);
  if (t.valueMax !== undefined) parts.push(`≤ ${t.valueMax} ${unit}`);
  return parts.join(', ');
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function cell(s: Summary, unit: string): string {
  return `${num(s.median)} ${unit} ±${(s.spread * 50).toFixed(0)}%`;
}

/** The results table: figure, attestd median ± half its spread, baseline likewise, ratio, target and verdict. */
export function formatTable(figures: readonly FigureResult[]): string {
  const header = [
    'figure',
    'attestd (median ±½ range)',
    'baseline (same run)',
    'ratio',
    'generator CPU (attestd / baseline)',
    'target',
    '',
  ];
  const rows = figures.map((f) => [
    `${f.id}  ${f.label}`,
    cell(f.summary, f.unit),
    f.baseline ? `${cell(f.baseline.summary, f.unit)}  ${f.baseline.label}` : '—',
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : '—',
    f.generatorCpu
      ? `${f.generatorCpu.median.toFixed(2)}${f.baselineGeneratorCpu ? ` / ${f.baselineGeneratorCpu.median.toFixed(2)}` : ''} cores`
      : '—',
    f.target?.text ?? '—',
    f.met === undefined ? '' : f.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The whole run as written to bench/results/<timestamp>.json. */
export interface RunReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly mode: 'quick' | 'full';
  readonly options: Record<string, unknown>;
  readonly machine: MachineInfo;
  /** How attestd and the generators shared the CPUs (result files from before round 4 lack it). */
  readonly cpuSplit?: string;
  readonly benchmarks: readonly string[];
  readonly figures: readonly FigureResult[];
  /** Benchmarks asked for whose module is not there yet (e.g. bench/admission.ts). */
  readonly notPresent: readonly string[];
  readonly requestErrors: Record<string, number>;
  readonly serverPeakRssMb: number;
  /** Throughput per worker count (`npm run bench -- workers`). */
  readonly workerScaling?: ScalingResult;
}

/** Writes the report as bench/results/<timestamp>.json (results are gitignored) and answers its path. */
export function writeReport(dir: string, report: RunReport): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${report.startedAt.replace(/[:.]/g, '-')}${report.mode === 'quick' ? '-quick' : ''}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
