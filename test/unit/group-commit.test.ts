import { expect } from 'chai';
import { GroupCommit, type GroupCommitOptions, type KeyedGroupCommitOptions } from '../../src/domain/group-commit';
import { currentDeadline, deadlineIn, withDeadline } from '../../src/domain/request-deadline';

/** A writer whose writes the test ends by hand; each write answers its items upper-cased, or fails. */
function manualWriter(options?: GroupCommitOptions | KeyedGroupCommitOptions<string>): {
  group: GroupCommit<string, string>;
  writes: string[][];
  commit(i: number): void;
  fail(i: number, err: Error): void;
} {
  const writes: string[][] = [];
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const group = new GroupCommit<string, string>(async (items) => {
    writes.push([...items]);
    await new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    return items.map((s) => s.toUpperCase());
  }, options);
  return { group, writes, commit: (i) => pending[i]!.resolve(), fail: (i, e) => pending[i]!.reject(e) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The outcome of a submission as a string, without letting it reject. */
const outcome = (p: Promise<string>): Promise<string> =>
  p.then(
    (v) => `ok ${v}`,
    (e: Error) => `error ${e.message}`,
  );

describe('GroupCommit', () => {
  it('writes a lone item at once, and items that arrive while it commits together in the next write', async () => {
    const w = manualWriter();
    const a = outcome(w.group.submit('a'));
    await tick();
    const b = outcome(w.group.submit('b'));
    const c = outcome(w.group.submit('c'));
    await tick();
    expect(w.writes).to.deep.equal([['a']]);
    w.commit(0);
    expect(await a).to.equal('ok A');
    await tick();
    expect(w.writes).to.deep.equal([['a'], ['b', 'c']]);
    w.commit(1);
    expect([await b, await c]).to.deep.equal(['ok B', 'ok C']);
  });

  it('answers no caller before the write holding its item returned', async () => {
    const w = manualWriter();
    let answered = false;
    const a = w.group.submit('a').then(() => (answered = true));
    await tick();
    await tick();
    expect(answered).to.equal(false);
    w.commit(0);
    await a;
    expect(answered).to.equal(true);
  });

  it('writes each item of a failed group again alone, so that only the bad one fails', async () => {
    const w = manualWriter();
    const first = outcome(w.group.submit('first'));
    await tick();
    const good = outcome(w.group.submit('good'));
    const bad = outcome(w.group.submit('bad'));
    w.commit(0);
    await first;
    await tick();
    expect(w.writes[1]).to.deep.equal(['good', 'bad']);
    w.fail(1, new Error('bad item'));
    await tick();
    expect(w.writes[2]).to.deep.equal(['good']);
    w.commit(2);
    await tick();
    expect(w.writes[3]).to.deep.equal(['bad']);
    w.fail(3, new Error('bad item'));
    expect([await good, await bad]).to.deep.equal(['ok GOOD', 'error bad item']);
  });

  it('gives a lone item the error of its write', async () => {
    const w = manualWriter();
    const a = outcome(w.group.submit('a'));
    await tick();
    w.fail(0, new Error('database is away'));
    expect(await a).to.equal('error database is away');
    expect(w.writes).to.deep.equal([['a']]);
  });

  it('runs up to maxInFlight writes at once and puts at most maxGroup waiting items in one write', async () => {
    const w = manualWriter({ maxGroup: 2, maxInFlight: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((s) => outcome(w.group.submit(s)));
    await tick();
    expect(w.writes).to.deep.equal([['a'], ['b']]);
    w.commit(1);
    await tick();
    expect(w.writes).to.deep.equal([['a'], ['b'], ['c', 'd']]);
    w.commit(0);
    await tick();
    expect(w.writes).to.deep.equal([['a'], ['b'], ['c', 'd'], ['e']]);
    w.commit(2);
    w.commit(3);
    expect(await Promise.all(all)).to.deep.equal(['ok A', 'ok B', 'ok C', 'ok D', 'ok E']);
  });

  it('binds a write by the earliest deadline of its callers, and each item written again alone by its own', async () => {
    const seen: string[][] = [];
    const group = new GroupCommit<string, string>(async (items) => {
      seen.push([...items, currentDeadline()?.setting ?? 'none']);
      await tick();
      if (items.length > 1) throw new Error('group failed');
      return items;
    });
    const first = group.submit('first');
    const late = withDeadline(deadlineIn(60_000, 'late'), () => group.submit('late'));
    const early = withDeadline(deadlineIn(30_000, 'early'), () => group.submit('early'));
    const none = group.submit('none');
    expect(await Promise.all([first, late, early, none])).to.deep.equal(['first', 'late', 'early', 'none']);
    expect(seen).to.deep.equal([
      ['first', 'none'],
      ['late', 'early', 'none', 'early'],
      ['late', 'late'],
      ['early', 'early'],
      ['none', 'none'],
    ]);
  });

  it('with a key, puts only items of one key in a group and writes the keys side by side', async () => {
    // The key is the item's first letter: a… and b… are written by separate groups, each key one at a time.
    const w = manualWriter({ key: (s) => s[0]!, maxInFlight: 1 });
    const all = ['a1', 'b1', 'a2', 'b2', 'a3', 'c1'].map((s) => outcome(w.group.submit(s)));
    await tick();
    expect(w.writes).to.deep.equal([['a1'], ['b1'], ['c1']]);
    w.commit(1);
    await tick();
    expect(w.writes).to.deep.equal([['a1'], ['b1'], ['c1'], ['b2']]);
    w.commit(0);
    await tick();
    expect(w.writes).to.deep.equal([['a1'], ['b1'], ['c1'], ['b2'], ['a2', 'a3']]);
    w.commit(2);
    w.commit(3);
    w.commit(4);
    expect(await Promise.all(all)).to.deep.equal(['ok A1', 'ok B1', 'ok A2', 'ok B2', 'ok A3', 'ok C1']);
  });

  it('with a key, retries a failed group item by item without holding up other keys', async () => {
    const w = manualWriter({ key: (s) => s[0]!, maxInFlight: 1 });
    const a1 = outcome(w.group.submit('a1'));
    await tick();
    const a2 = outcome(w.group.submit('a2'));
    const aBad = outcome(w.group.submit('a-bad'));
    const b1 = outcome(w.group.submit('b1'));
    await tick();
    expect(w.writes).to.deep.equal([['a1'], ['b1']]);
    w.commit(0);
    await a1;
    await tick();
    expect(w.writes[2]).to.deep.equal(['a2', 'a-bad']);
    w.fail(2, new Error('bad item'));
    await tick();
    expect(w.writes[3]).to.deep.equal(['a2']);
    w.commit(3);
    await tick();
    expect(w.writes[4]).to.deep.equal(['a-bad']);
    w.fail(4, new Error('bad item'));
    w.commit(1);
    expect([await a2, await aBad, await b1]).to.deep.equal(['ok A2', 'error bad item', 'ok B1']);
  });

  it('answers every caller of a failed group with its error when retryAlone refuses (outcome unknown)', async () => {
    const w = manualWriter({ retryAlone: (err) => !(err as Error).message.includes('unknown') });
    const first = outcome(w.group.submit('first'));
    await tick();
    const a = outcome(w.group.submit('a'));
    const b = outcome(w.group.submit('b'));
    w.commit(0);
    await first;
    await tick();
    w.fail(1, new Error('commit outcome unknown'));
    expect([await a, await b]).to.deep.equal(['error commit outcome unknown', 'error commit outcome unknown']);
    expect(w.writes).to.deep.equal([['first'], ['a', 'b']]);
  });
});
