import v8 from 'node:v8';

/**
 * The V8 flags every attestd server process runs with (ADR 0077; docs/performance.md, "Round 5: memory"):
 * `--max-semi-space-size=32`. Node 24's V8 lets the young generation grow to two 64 MB semi-spaces; under
 * BatchCreateOccurrences they sat at 128 MB committed with 1–60 MB in use. Two 32 MB ones keep 64 MB; two 16 MB
 * ones (Node 20 and 22's size) kept less but more than doubled the time spent in scavenges, which copy the batches
 * in flight. The Dockerfile's NODE_OPTIONS and `npm start` set the same; a test keeps them equal.
 */
export const SERVER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=32']);

/**
 * The old generation's cap for a forked server process, in MB, applied only where V8's own limit (which follows
 * the memory of the machine or container) is higher: with a limit of 2 GB or more V8 lets the old generation grow
 * to 4× what a full GC left live before the next one, below it by a smaller factor, so that what large batches
 * promote is collected at ~55 MB of old space rather than ~90–140 MB. 1 GB is twenty times what a worker keeps
 * live under the benchmarks.
 */
export const OLD_SPACE_CAP_MB = 1024;

const MB = 1024 * 1024;

/**
 * `execArgv` for a forked server process: the parent's own flags, then SERVER_NODE_FLAGS and the old-space cap
 * (when it lowers `heapLimitMb`, this process's own V8 heap limit), each unless the operator set that flag already
 * (on the command line or in NODE_OPTIONS): an operator's own value wins.
 */
export function serverExecArgv(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  heapLimitMb: number = v8.getHeapStatistics().heap_size_limit / MB,
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName);
  const cap = heapLimitMb > OLD_SPACE_CAP_MB ? [`--max-old-space-size=${OLD_SPACE_CAP_MB}`] : [];
  const flags = [...SERVER_NODE_FLAGS, ...cap];
  return [...execArgv, ...flags.filter((f) => !given.includes(flagName(f)))];
}

/** `--max-semi-space-size` of `--max-semi-space-size=32`; V8 reads `_` and `-` alike. */
function flagName(flag: string): string {
  return flag.split('=')[0]!.replace(/_/g, '-');
}
