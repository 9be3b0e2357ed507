import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { databaseStartError, fromDatabaseError } from '../../src/store/sql-errors';
import { refuseUnreplicatedCommits, UnreplicatedCommitError } from '../../src/store/unreplicated-commit';

// How driver errors become what clients and operators read: outages are UNAVAILABLE (retried at start), a
// pooler refusing session settings is a setting to fix (not retried), and a commit no synchronous standby
// confirmed is never a success.

/** A stand-in for a pg.Client: `query` answers after emitting the notices it is given, as the driver does. */
class FakeClient extends EventEmitter {
  notices: Array<Record<string, string>> = [];
  query(_sql: string, callback: (err: Error | null, result?: unknown) => void): void {
    for (const n of this.notices.splice(0)) this.emit('notice', n);
    callback(null, { command: 'COMMIT' });
  }
}

const run = (c: FakeClient, sql: string) =>
  new Promise<unknown>((resolve, reject) =>
    (c as unknown as { query: (s: string, cb: (err: Error | null, r?: unknown) => void) => void }).query(sql, (err, r) =>
      err ? reject(err) : resolve(r),
    ),
  );

describe('database errors', () => {
  const cases: Array<{ desc: string; err: unknown; want: string | undefined }> = [
    { desc: 'a cut connection', err: new Error('Connection terminated unexpectedly'), want: 'UNAVAILABLE' },
    { desc: 'admin shutdown', err: { code: '57P01', message: 'terminating connection due to administrator command' }, want: 'UNAVAILABLE' },
    {
      desc: 'a commit no standby confirmed',
      err: new UnreplicatedCommitError('canceling wait for synchronous replication'),
      want: 'UNAVAILABLE',
    },
    {
      desc: 'pgbouncer refusing a session setting (08P01)',
      err: { code: '08P01', message: 'unsupported startup parameter: statement_timeout' },
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(`${c.desc} → ${c.want ?? 'not an outage'}`, () => {
      expect(fromDatabaseError(c.err)?.code).to.equal(c.want);
    });
  }

  it('an unconfirmed commit tells the client its outcome is unknown', () => {
    expect(fromDatabaseError(new UnreplicatedCommitError('x'))?.message).to.match(/synchronous standby; its outcome is unknown/);
  });

  it('start-up against a pooler without DATABASE_DIRECT_URL says to set it, without the password', () => {
    const err = databaseStartError(
      { code: '08P01', message: 'unsupported startup parameter: statement_timeout' },
      'postgres://attestd:s3cret@pooler:6432/attestd',
      30,
    );
    expect(err.message).to.equal(
      'DATABASE_URL: the database at pooler:6432/attestd refused a session setting (unsupported startup parameter: statement_timeout): ' +
        'it is a transaction pooler; set DATABASE_DIRECT_URL to a direct connection to Postgres',
    );
  });
});

describe('refuseUnreplicatedCommits', () => {
  const syncRep = {
    severity: 'WARNING',
    code: '01000',
    message: 'canceling wait for synchronous replication due to user request',
    detail: 'The transaction has already committed locally, but might not have been replicated to the standby.',
    routine: 'SyncRepWaitForLSN',
    file: 'syncrep.c',
  };
  const setUp = () => {
    const client = new FakeClient();
    const heard: string[] = [];
    refuseUnreplicatedCommits(client as unknown as pg.Client, (n) => heard.push(n));
    return { client, heard };
  };

  it('fails the statement after which the synchronous wait was cancelled, and only that one', async () => {
    const { client, heard } = setUp();
    client.notices = [syncRep];
    const err = await run(client, 'COMMIT;').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnreplicatedCommitError);
    expect(heard).to.have.length(1);
    expect(heard[0]).to.contain('already committed locally');
    expect(await run(client, 'SELECT 1')).to.deep.equal({ command: 'COMMIT' });
  });

  it('recognises the notice by its routine whatever the server language', async () => {
    const { client } = setUp();
    client.notices = [{ ...syncRep, message: 'annulation de l’attente', detail: '' }];
    expect(await run(client, 'COMMIT;').catch((e: unknown) => e)).to.be.instanceOf(UnreplicatedCommitError);
  });

  it('lets other notices pass (a ROLLBACK outside a transaction warns too)', async () => {
    const { client, heard } = setUp();
    client.notices = [
      {
        severity: 'WARNING',
        code: '25P01',
        message: 'there is no transaction in progress',
        routine: 'UserAbortTransactionBlock',
        file: 'xact.c',
      },
    ];
    expect(await run(client, 'ROLLBACK')).to.deep.equal({ command: 'COMMIT' });
    expect(heard).to.deep.equal([]);
  });
});
