import type { Logger } from '../logger';

/** What the operator is told when the server runs without autovacuum. */
export const AUTOVACUUM_OFF_WARNING =
  'PostgreSQL runs with autovacuum off: audit_pending (every change passes through it), hook_signings and the ' +
  'tables retention deletes from keep their dead rows until a VACUUM, and reads of them slow down as they grow; ' +
  'turn autovacuum on, or run VACUUM (ANALYZE) regularly (docs/operations.md, "PostgreSQL settings")';

/**
 * Warns once at start when the server's autovacuum is off: audit_pending is tuned for autovacuum (a fixed
 * threshold of dead rows, migrations/20261201000000_audit_pending.ts) and churns with every write. `show` runs
 * `SHOW autovacuum` and answers its value.
 */
export async function checkAutovacuum(show: () => Promise<string | undefined>, logger: Logger): Promise<void> {
  let value: string | undefined;
  try {
    value = await show();
  } catch (err) {
    // Only a warning hangs on it: a server that cannot answer SHOW is not refused for that.
    logger.debug({ err: (err as Error).message }, 'could not read the autovacuum setting');
    return;
  }
  if (value === 'off') logger.warn({ autovacuum: value }, AUTOVACUUM_OFF_WARNING);
}
