/**
 * The V8 flags an attestd server process runs with. Node 24's V8 lets the young generation grow to two 64 MB
 * semi-spaces on a 4 GB heap (Node 20 and 22 stopped at two 16 MB ones); under BatchCreateOccurrences that alone
 * kept ~100 MB more resident per process, with no throughput measured for it (docs/performance.md, "Round 5:
 * memory"). The Dockerfile sets the same flags in NODE_OPTIONS for the process it starts.
 */
export const SERVER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=16']);

/**
 * `execArgv` for a forked server process: the parent's own flags, then each of SERVER_NODE_FLAGS the operator did
 * not set already (on the command line or in NODE_OPTIONS), so that an operator's own value wins.
 */
export function serverExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName);
  return [...execArgv, ...SERVER_NODE_FLAGS.filter((f) => !given.includes(flagName(f)))];
}

/** `--max-semi-space-size` of `--max-semi-space-size=16`; V8 reads `_` and `-` alike. */
function flagName(flag: string): string {
  return flag.split('=')[0]!.replace(/_/g, '-');
}
