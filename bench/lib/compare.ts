import fs from 'node:fs';
import path from 'node:path';
import type { FigureResult, RunReport } from './report';

/** How one figure moved between two result files. */
export interface FigureComparison {
  readonly id: string;
  readonly label: string;
  /** What is compared: the ratio to the same run's baseline when both files have one, else the figure itself. */
  readonly basis: 'ratio' | 'value';
  readonly unit: string;
  readonly a?: Range;
  readonly b?: Range;
  /** b / a of the medians. */
  readonly change?: number;
  /** `better`/`worse` when the runs' ranges are apart, `overlap` when they overlap (no change shown). */
  readonly verdict: 'better' | 'worse' | 'overlap' | 'only in A' | 'only in B';
}

interface Range {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** Throughput (`…/s`) is better higher; latency, sizes and durations better lower. Ratios follow their figure. */
export function higherIsBetter(unit: string): boolean {
  return /\/s$/.test(unit);
}

/** Compares every figure of two runs: ratios where both have a baseline (absolute times vary between machines and days). */
export function compareReports(a: RunReport, b: RunReport): FigureComparison[] {
  const byId = (r: RunReport) => new Map(r.figures.map((f) => [f.id, f]));
  const fa = byId(a);
  const fb = byId(b);
  const ids = [...fa.keys(), ...[...fb.keys()].filter((id) => !fa.has(id))];
  return ids.map((id) => compareFigure(fa.get(id), fb.get(id)));
}

function compareFigure(x: FigureResult | undefined, y: FigureResult | undefined): FigureComparison {
  const f = (x ?? y)!;
  const basis = x?.ratioSummary && y?.ratioSummary ? 'ratio' : x && y ? 'value' : x?.ratioSummary || y?.ratioSummary ? 'ratio' : 'value';
  const range = (r: FigureResult | undefined): Range | undefined => {
    const s = r && (basis === 'ratio' ? r.ratioSummary : r.summary);
    return s && Number.isFinite(s.median) ? { median: s.median, min: s.min, max: s.max, runs: s.runs } : undefined;
  };
  const a = range(x);
  const b = range(y);
  const common = { id: f.id, label: f.label, basis, unit: basis === 'ratio' ? '×' : f.unit, a, b } as const;
  if (!a || !b) return { ...common, verdict: a ? 'only in A' : 'only in B' };
  const change = a.median === 0 ? undefined : b.median / a.median;
  if (a.min <= b.max && b.min <= a.max) return { ...common, change, verdict: 'overlap' };
  const up = b.median > a.median;
  return { ...common, change, verdict: up === higherIsBetter(f.unit) ? 'better' : 'worse' };
}

function num(v: number): string {
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function cell(r: Range | undefined, unit: string): string {
  if (!r) return '—';
  return `${num(r.median)}${unit === '×' ? '×' : ` ${unit}`} [${num(r.min)}–${num(r.max)}] n=${r.runs}`;
}

/** Both runs side by side: each figure's ratio (or value) median and range per file, B/A, and whether the ranges overlap. */
export function formatComparison(a: RunReport, b: RunReport, names: readonly [string, string] = ['A', 'B']): string {
  const rows = compareReports(a, b);
  const header = ['figure', `A: ${names[0]}`, `B: ${names[1]}`, 'B/A', 'verdict'];
  const cells = rows.map((r) => [
    `${r.id}  ${r.label}${r.basis === 'ratio' ? ' (ratio to baseline)' : ''}`,
    cell(r.a, r.unit),
    cell(r.b, r.unit),
    r.change === undefined ? '—' : `${r.change.toFixed(2)}×`,
    r.verdict === 'overlap' ? '~ ranges overlap: no change shown' : r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes: string[] = [];
  const describe = (r: RunReport) => `${r.mode} run of ${r.startedAt}, ${r.machine.cores} cores, Node ${r.machine.node}`;
  notes.push(`A: ${describe(a)}`, `B: ${describe(b)}`);
  if (a.machine.cores !== b.machine.cores || a.machine.cpuModel !== b.machine.cpuModel) {
    notes.push('note: the runs were on different machines; only the ratios to same-run baselines compare');
  }
  if (a.mode !== b.mode) notes.push('note: a quick run and a full run: the quick one has fewer runs and shorter phases');
  return [...notes, '', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Reads a result file written by `npm run bench` (bench/results/<time>.json). */
export function readReport(file: string): RunReport {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read bench results ${path.resolve(file)}: ${(err as Error).message}`);
  }
  if (!json || typeof json !== 'object' || !Array.isArray((json as RunReport).figures) || !(json as RunReport).machine) {
    throw new Error(`${file} is not a bench result file (no "figures" and "machine")`);
  }
  return json as RunReport;
}
