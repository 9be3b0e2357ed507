import { performance } from 'node:perf_hooks';

/**
 * Runs `work` and answers its result with the CPU this process used meanwhile, in cores (CPU time over wall
 * time): the generator figure of loads driven from this process (the pg baselines, the sign+verify loop).
 */
export async function withSelfCpu<T>(work: () => Promise<T>): Promise<{ result: T; cores: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, cores: (used.user + used.system) / 1000 / Math.max(1, performance.now() - wall) };
}
