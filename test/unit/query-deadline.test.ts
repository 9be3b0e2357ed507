import { expect } from 'chai';
import type pg from 'pg';
import { deadlineIn, withDeadline } from '../../src/domain/request-deadline';
import { DatabaseDeadlineError, enforceDeadlines } from '../../src/store/query-deadline';
import { fromDatabaseError } from '../../src/store/sql-errors';

// How a statement the database does not answer in time ends: which deadline cut it, whether the write's outcome
// is unknown (a COMMIT, or a write outside a transaction, that Postgres may have carried out), and that the
// connection is cut so that nothing more runs on it. Work a request left behind is bound by the ceiling only.

type Callback = (err: Error | null, result?: unknown) => void;

/** A stand-in for a pg.Client whose server answers only the statements `answered` matches. */
class SilentServer {
  readonly sent: string[] = [];
  destroyed = 0;
  readonly connection = { stream: { destroy: () => void this.destroyed++ } };
  constructor(private readonly answered: RegExp) {}
  query(config: { text: string }, callback: Callback): void {
    this.sent.push(config.text);
    if (this.answered.test(config.text)) setImmediate(() => callback(null, { command: config.text }));
  }
}

const CEILING_MS = 400;

function client(answered: RegExp): { server: SilentServer; cuts: DatabaseDeadlineError[]; run: (sql: string) => Promise<unknown> } {
  const server = new SilentServer(answered);
  const cuts: DatabaseDeadlineError[] = [];
  enforceDeadlines(server as unknown as pg.Client, CEILING_MS, (err) => cuts.push(err));
  const query = (server as unknown as { query: (c: { text: string }, cb: Callback) => void }).query;
  const run = (text: string) => new Promise<unknown>((resolve, reject) => query({ text }, (err, r) => (err ? reject(err) : resolve(r))));
  return { server, cuts, run };
}

const failure = (p: Promise<unknown>): Promise<DatabaseDeadlineError> =>
  p.then(
    () => {
      throw new Error('the statement succeeded');
    },
    (err: unknown) => err as DatabaseDeadlineError,
  );

describe('statement deadlines', () => {
  it('cuts a statement inside a transaction at the request deadline: nothing was stored', async () => {
    const { server, cuts, run } = client(/^BEGIN/);
    const err = await withDeadline(deadlineIn(150, 'REQUEST_DEADLINE_MS'), async () => {
      await run('BEGIN;');
      return failure(run('insert into t values (1)'));
    });
    expect(err).to.be.instanceOf(DatabaseDeadlineError);
    expect(err).to.include({ ms: 150, setting: 'REQUEST_DEADLINE_MS', outcomeUnknown: false });
    expect(server.destroyed).to.equal(1);
    expect(cuts).to.deep.equal([err]);
    // knex's ROLLBACK after the failure is not sent on the cut connection.
    expect(await failure(run('ROLLBACK'))).to.equal(err);
    expect(server.sent).to.deep.equal(['BEGIN;', 'insert into t values (1)']);
    expect(fromDatabaseError(err)?.message).to.equal('the database did not answer within 150 ms (REQUEST_DEADLINE_MS); retry shortly');
  });

  it('says the outcome is unknown when COMMIT, or a write outside a transaction, was cut', async () => {
    const cases: Array<{ desc: string; statements: string[]; unknown: boolean }> = [
      { desc: 'COMMIT', statements: ['BEGIN;', 'insert into t values (1)', 'COMMIT;'], unknown: true },
      { desc: 'a lone INSERT', statements: ['insert into t values (1)'], unknown: true },
      { desc: 'a lone UPDATE', statements: ['update t set a = 1'], unknown: true },
      { desc: 'a lone SELECT', statements: ['select 1'], unknown: false },
      { desc: 'an UPDATE in a transaction', statements: ['BEGIN;', 'update t set a = 1'], unknown: false },
      { desc: 'a SELECT after a committed transaction', statements: ['BEGIN;', 'COMMIT;', 'select 1'], unknown: false },
    ];
    for (const c of cases) {
      const last = c.statements[c.statements.length - 1]!;
      const { run } = client(new RegExp(`^(?!${last.replace(/[()]/g, '\\$&')}$)`));
      const err = await withDeadline(deadlineIn(150, 'REQUEST_DEADLINE_MS'), async () => {
        for (const s of c.statements.slice(0, -1)) await run(s);
        return failure(run(last));
      });
      expect(err.outcomeUnknown, c.desc).to.equal(c.unknown);
    }
    const commit = new DatabaseDeadlineError(5000, 'REQUEST_DEADLINE_MS', true);
    expect(fromDatabaseError(commit)).to.include({
      code: 'UNAVAILABLE',
      message:
        'the database did not answer within 5000 ms (REQUEST_DEADLINE_MS) while committing this write: ' +
        'it may or may not have been stored; read it back before retrying',
    });
  });

  it('answers statements the database answers in time, and leaves the connection alone', async () => {
    const { server, cuts, run } = client(/./);
    expect(await withDeadline(deadlineIn(5000, 'REQUEST_DEADLINE_MS'), () => run('select 1'))).to.deep.equal({ command: 'select 1' });
    expect(server.destroyed).to.equal(0);
    expect(cuts).to.deep.equal([]);
  });

  it('bounds work a request left behind by the ceiling only, and work outside any request likewise', async () => {
    const { server, run } = client(/^$/);
    let leftBehind: Promise<DatabaseDeadlineError> | undefined;
    await withDeadline(deadlineIn(10, 'REQUEST_DEADLINE_MS'), () => {
      leftBehind = failure(run('insert into buffered values (1)'));
      return Promise.resolve();
    });
    const err = await leftBehind!;
    expect(err).to.include({ ms: CEILING_MS, setting: 'the statement time limit' });
    expect(server.destroyed).to.equal(1);
    const outside = await failure(client(/^$/).run('select 1'));
    expect(outside).to.include({ ms: CEILING_MS, setting: 'the statement time limit', outcomeUnknown: false });
  });
});
