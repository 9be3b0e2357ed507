import type pg from 'pg';

/**
 * A statement Postgres answered with success after cancelling its wait for the synchronous standby: the
 * transaction committed on the primary only ("canceling wait for synchronous replication", a WARNING), so a
 * failover may lose it. Its outcome is unknown to the client and must never be acknowledged.
 */
export class UnreplicatedCommitError extends Error {
  constructor(readonly notice: string) {
    super(`the commit was not confirmed by a synchronous standby: ${notice}`);
    this.name = 'UnreplicatedCommitError';
  }
}

/** The fields of a Postgres notice this module reads. */
interface Notice {
  readonly message?: string;
  readonly detail?: string;
  readonly routine?: string;
  readonly file?: string;
}

/** True for the notices of Postgres's synchronous replication wait (syncrep.c), whatever the server's language. */
function isSyncRepNotice(n: Notice): boolean {
  return n.routine === 'SyncRepWaitForLSN' || n.file === 'syncrep.c' || /synchronous replication/i.test(n.message ?? '');
}

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * Makes every statement on `conn` after which Postgres reported a cancelled synchronous-replication wait fail
 * with UnreplicatedCommitError instead of succeeding (COMMIT, or a single statement outside a transaction).
 * `onUnreplicated` hears of each one (for the log).
 */
export function refuseUnreplicatedCommits(conn: pg.Client, onUnreplicated: (notice: string) => void): void {
  let unreplicated: string | undefined;
  conn.on('notice', (n: Notice) => {
    if (isSyncRepNotice(n)) unreplicated = [n.message, n.detail].filter(Boolean).join(' ');
  });
  const query = conn.query.bind(conn) as (...args: unknown[]) => unknown;
  // knex calls query(config, callback) one statement at a time per connection; other shapes pass through.
  (conn as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last !== 'function') return query(...args);
    const callback = last as Callback;
    unreplicated = undefined;
    return query(...args.slice(0, -1), (err: Error | null, result?: unknown) => {
      const notice = unreplicated;
      unreplicated = undefined;
      if (notice !== undefined && !err) {
        onUnreplicated(notice);
        callback(new UnreplicatedCommitError(notice));
      } else callback(err, result);
    });
  };
}
