import fs from 'node:fs';
import os from 'node:os';

/**
 * The CPUs this process may use: os.availableParallelism() (the affinity mask), lowered by a cgroup v2 CPU quota
 * (`cpu.max`, what a Kubernetes CPU limit sets) when there is one; at least 1.
 */
export function availableCores(cpuMaxFile = '/sys/fs/cgroup/cpu.max'): number {
  const parallelism = os.availableParallelism();
  return Math.max(1, Math.min(parallelism, cgroupQuota(cpuMaxFile) ?? parallelism));
}

/** `cpu.max` holds "QUOTA PERIOD" or "max PERIOD": the quota in whole CPUs (rounded up), or undefined. */
function cgroupQuota(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [quota, period] = text.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.ceil(q / p);
}
