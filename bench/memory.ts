import type { FigureSpec } from './lib/benchmark';

/** A memory row: attestd's peak RSS while the named benchmarks run against it (sampled every 50 ms). */
export interface MemoryFigure {
  readonly spec: FigureSpec;
  /** The benchmarks whose measured runs are sampled. */
  readonly benchmarks: readonly string[];
}

/**
 * Two rows, each against the 250 MB per worker: the scale runs (ListOccurrences and deep paging with the
 * scale data set stored; they run after the write and batch benchmarks, on the same process), and the batch runs
 * (two BatchCreateOccurrences of 1000 in flight: attestd's largest requests), whose peak the scale row alone would
 * only show through what the process kept.
 */
export const MEMORY_FIGURES: readonly MemoryFigure[] = [
  {
    spec: { id: 'memory.peakRss', label: 'attestd peak RSS during scale runs', unit: 'MB', target: { valueMax: 250 } },
    benchmarks: ['list', 'paging'],
  },
  {
    spec: { id: 'memory.peakRssBatch', label: 'attestd peak RSS serving batches (2×1000)', unit: 'MB', target: { valueMax: 250 } },
    benchmarks: ['batch'],
  },
];

/** Every benchmark a memory row samples (what `npm run bench -- memory` runs). */
export const MEMORY_BENCHMARKS: readonly string[] = [...new Set(MEMORY_FIGURES.flatMap((f) => f.benchmarks))];
