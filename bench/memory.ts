import type { FigureSpec } from './lib/benchmark';

/** The memory row: attestd's peak RSS while the scale benchmarks (list, paging) run against it. */
export const MEMORY_FIGURE: FigureSpec = {
  id: 'memory.peakRss',
  label: 'attestd peak RSS during scale runs',
  unit: 'MB',
  target: { valueMax: 250 },
};

/** Benchmarks whose runs the memory figure samples. */
export const SCALE_BENCHMARKS = ['list', 'paging'];
