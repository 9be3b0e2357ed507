import { execFileSync } from 'node:child_process';

/** Polls `read` every 200 ms until it answers something other than undefined; fails naming `what` after `ms`. */
export async function until<T>(what: string, read: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls `check` every 200 ms until it answers true; fails naming `what` after `ms`. */
export async function untilTrue(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  await until(what, async () => ((await check()) ? true : undefined), ms);
}

/** The pids of the processes `pid` started. */
export function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}
