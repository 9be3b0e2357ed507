import { expect } from 'chai';
import { FreshReads } from '../../src/verification/fresh-reads';

/** A read source whose reads the test answers by hand, numbered in the order they started. */
function manualSource(): {
  reads: FreshReads<string>;
  started: string[];
  answer(i: number, value: string): void;
  fail(i: number, err: Error): void;
} {
  const started: string[] = [];
  const pending: Array<{ resolve: (v: string) => void; reject: (e: Error) => void }> = [];
  const reads = new FreshReads<string>(
    (key) =>
      new Promise<string>((resolve, reject) => {
        started.push(key);
        pending.push({ resolve, reject });
      }),
  );
  return { reads, started, answer: (i, v) => pending[i]!.resolve(v), fail: (i, e) => pending[i]!.reject(e) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('FreshReads', () => {
  it('gives callers who ask while a read runs the next read, which starts only after the running one ends', async () => {
    const s = manualSource();
    const first = s.reads.get('p');
    await tick();
    expect(s.started).to.deep.equal(['p']);
    // Asked after read 0 began: read 0 may predate a change they must see, so they wait for read 1.
    const second = s.reads.get('p');
    const third = s.reads.get('p');
    await tick();
    expect(s.started).to.deep.equal(['p']);
    s.answer(0, 'stamp-0');
    expect(await first).to.equal('stamp-0');
    await tick();
    expect(s.started).to.deep.equal(['p', 'p']);
    s.answer(1, 'stamp-1');
    expect(await Promise.all([second, third])).to.deep.equal(['stamp-1', 'stamp-1']);
  });

  it('reads once per call for a caller alone, and per key independently', async () => {
    const s = manualSource();
    const a = s.reads.get('a');
    const b = s.reads.get('b');
    await tick();
    expect(s.started).to.deep.equal(['a', 'b']);
    s.answer(0, 'a-0');
    s.answer(1, 'b-0');
    expect([await a, await b]).to.deep.equal(['a-0', 'b-0']);
    const again = s.reads.get('a');
    await tick();
    expect(s.started).to.deep.equal(['a', 'b', 'a']);
    s.answer(2, 'a-1');
    expect(await again).to.equal('a-1');
  });

  it('rejects every caller of a failed read, and reads again for those who asked meanwhile', async () => {
    const s = manualSource();
    const failed = s.reads.get('p').catch((e: Error) => e.message);
    await tick();
    const later = s.reads.get('p');
    s.fail(0, new Error('database away'));
    expect(await failed).to.equal('database away');
    await tick();
    expect(s.started).to.have.length(2);
    s.answer(1, 'back');
    expect(await later).to.equal('back');
  });

  it('turns a read that throws at once into a rejection', async () => {
    const reads = new FreshReads<string>(() => {
      throw new Error('bad key');
    });
    const err = await reads.get('x').then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).to.equal('bad key');
  });
});
