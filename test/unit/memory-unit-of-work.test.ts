import { expect } from 'chai';
import { MemoryDatabase, MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';
import { jsonb } from '../../src/store/memory/stored-values';
import { MemoryStorageError } from '../../src/store/memory/memory-storage-error';

const T0 = '2026-01-01T00:00:00.000Z';

/** What the memory unit of work does beyond the shared contract (test/contract): its own guard rails. */
describe('memory unit of work', () => {
  it('delivers notifyChanged once its transaction commits, never for one that rolls back', async () => {
    const heard: string[][] = [];
    const uow = new MemoryUnitOfWork(new MemoryDatabase(), undefined, { onNotify: (ids) => heard.push([...ids]) });
    await uow.transaction(async (s) => {
      await s.notifyChanged(['a', 'b']);
      await s.notifyChanged([]);
      expect(heard).to.deep.equal([]);
    });
    await uow
      .transaction(async (s) => {
        await s.notifyChanged(['c']);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await uow.stores.notifyChanged(['d']);
    expect(heard).to.deep.equal([['a', 'b'], ['d']]);
  });

  it('refuses a transaction started inside a transaction instead of waiting for itself', async () => {
    const uow = new MemoryUnitOfWork();
    const err = await uow.transaction(() => uow.transaction(() => Promise.resolve('inner'))).catch((e: Error) => e);
    expect((err as Error).message).to.match(/called inside a transaction; use the stores passed to the outer one/);
    // The queue is not stuck: the next transaction runs.
    expect(await uow.transaction(() => Promise.resolve('next'))).to.equal('next');
  });

  it('runs transactions one at a time, in the order they were asked for', async () => {
    const uow = new MemoryUnitOfWork();
    const log: string[] = [];
    const run = (name: string) =>
      uow.transaction(async () => {
        log.push(`${name} start`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`${name} end`);
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    expect(log).to.deep.equal(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('stores JSON as jsonb does: keys reordered, undefined dropped, NUL refused', () => {
    const stored = jsonb({ bb: 1, a: { z: undefined, y: [1, { d: 2, c: 3 }] }, ccc: 'x' });
    expect(JSON.stringify(stored)).to.equal('{"a":{"y":[1,{"c":3,"d":2}]},"bb":1,"ccc":"x"}');
    expect(Object.isFrozen(stored)).to.equal(true);
    expect(() => jsonb({ k: 'a\u0000b' })).to.throw(MemoryStorageError);
    expect(() => jsonb({ ['a\u0000']: 1 })).to.throw(MemoryStorageError);
    // A backslash and "u0000" typed as text is not NUL.
    expect(jsonb({ path: 'C:\\u0000' })).to.deep.equal({ path: 'C:\\u0000' });
  });

  it('reads a snapshot that writes cannot go through', async () => {
    const uow = new MemoryUnitOfWork();
    const err = await uow.stores.audit
      .inSnapshot((s) =>
        s.appendMany([{ projectId: 'p', time: T0, actor: 'a', method: 'm', resource: 'r', requestId: 'q', kind: 'change', details: {} }]),
      )
      .catch((e: Error) => e);
    expect((err as Error).message).to.equal('a snapshot is read-only');
    expect(await uow.stores.audit.pendingCount()).to.equal(0);
  });
});
