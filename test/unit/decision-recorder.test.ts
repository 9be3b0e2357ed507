import { expect } from 'chai';
import { AuditRecorder } from '../../src/audit/audit-recorder';
import { ApiError } from '../../src/domain/api-error';
import type { UnitOfWork } from '../../src/domain/stores/unit-of-work';
import { silentLogger } from '../../src/logger';
import { MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';
import { DECISION_SLICE, DecisionRecorder } from '../../src/verification/decision-recorder';
import type { ImageResult, VerifyInput } from '../../src/verification/verdict';

const T0 = '2026-01-01T00:00:00.000Z';
const ctx = { requestId: 'r', principal: { subject: 'admission-webhook', roles: { p: ['admission'] } }, transport: 'internal' as const };
const input: VerifyInput = { cluster: 'c1', namespace: 'default', images: ['a'], breakglass: false, source: 'admission' };
const result = (image: string): ImageResult => ({
  image,
  allowed: false,
  reason: 'NOT_ATTESTED',
  message: `image ${image} is not attested`,
  policies: [],
  witnesses: [],
  occurrences: [],
});

/** A memory unit of work whose database can be taken away: every transaction then fails as unavailable. */
function switchableDatabase(onTransaction: () => void = () => undefined): {
  uow: UnitOfWork;
  memory: MemoryUnitOfWork;
  setDown(down: boolean): void;
} {
  const memory = new MemoryUnitOfWork();
  let down = false;
  const uow: UnitOfWork = {
    stores: memory.stores,
    transaction: (work) => {
      onTransaction();
      return down ? Promise.reject(new ApiError('UNAVAILABLE', 'the database is unavailable')) : memory.transaction(work);
    },
    singleWrite: (work) => (down ? Promise.reject(new ApiError('UNAVAILABLE', 'the database is unavailable')) : memory.singleWrite(work)),
    classifyError: (err) => (err instanceof ApiError ? err : memory.classifyError(err)),
  };
  return { uow, memory, setDown: (d) => (down = d) };
}

/** Lets the recorder's own writes (started without a flush call) run to the end: as many turns as it takes, bounded. */
async function settled(recorder: DecisionRecorder): Promise<void> {
  for (let turn = 0; turn < 1000 && recorder.pending > 0; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function storedNames(memory: MemoryUnitOfWork): Promise<string[]> {
  const page = await memory.stores.decisions.list('p', { filter: undefined, filterText: '', pageSize: 1000, pageToken: undefined });
  return page.items.map((d) => String(d.name));
}

describe('decision recorder', () => {
  it('keeps decisions while the database is away and writes them when it returns; a full buffer refuses, counted', async () => {
    const db = switchableDatabase();
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    let dropped = 0;
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger(), { dropped: () => dropped++ }, 3);
    db.setDown(true);
    const names = [0, 1, 2].map((i) => recorder.record(ctx, 'p', input, [result(`img${i}`)], T0));
    expect(names.every((n) => typeof n === 'string')).to.equal(true);
    await recorder.flush();
    expect(recorder.pending, 'kept for later, not dropped').to.equal(3);
    expect(recorder.record(ctx, 'p', input, [result('img3')], T0), 'no name for a decision that cannot be kept').to.equal(undefined);
    expect(dropped).to.equal(1);

    db.setDown(false);
    await recorder.flush();
    expect(recorder.pending).to.equal(0);
    expect((await storedNames(db.memory)).sort()).to.deep.equal([...names].sort());
    expect(recorder.record(ctx, 'p', input, [result('img4')], T0), 'room again once written').to.be.a('string');
    await recorder.flush();
  });

  it('writes in slices, in order, letting other work run between them; the slices the database refused stay ahead of newer decisions', async () => {
    const log: string[] = [];
    let transactions = 0;
    const db = switchableDatabase(() => {
      log.push('slice');
      // The database goes away during the second slice.
      if (++transactions === 2) db.setDown(true);
    });
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger());
    const count = DECISION_SLICE * 2 + 50;
    const names = Array.from({ length: count }, (_, i) => recorder.record(ctx, 'p', input, [result(`img${i}`)], T0)!);
    setImmediate(() => log.push('other work'));
    await recorder.flush();
    expect(log, 'the first slice, then other work, then the refused one').to.deep.equal(['slice', 'other work', 'slice']);
    expect(recorder.pending, 'the refused slice and the one after it').to.equal(count - DECISION_SLICE);
    names.push(recorder.record(ctx, 'p', input, [result('newer')], T0)!);

    db.setDown(false);
    await recorder.flush();
    expect(recorder.pending).to.equal(0);
    const chain = await db.memory.stores.audit.chainSlice('p', 0, 10 * count);
    expect(
      chain.map((e) => e.resource),
      'every decision audited once, in the order it was made',
    ).to.deep.equal(names);
  });

  it('a slice refused for one of its decisions is written one by one; if the database goes away meanwhile, the rest are kept, not dropped', async () => {
    let transactions = 0;
    const db = switchableDatabase(() => {
      transactions++;
      // The slice's transaction fails for a reason of its own; the first decision alone is written; then the
      // database goes away.
      if (transactions === 1) throw new Error('a row of this slice was refused');
      if (transactions === 3) db.setDown(true);
    });
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    let dropped = 0;
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger(), { dropped: () => dropped++ });
    const names = [0, 1, 2, 3].map((i) => recorder.record(ctx, 'p', input, [result(`img${i}`)], T0)!);
    await recorder.flush();
    expect(dropped, 'nothing given up because the database was away').to.equal(0);
    expect(recorder.pending, 'the three not written are kept').to.equal(3);
    expect(await storedNames(db.memory)).to.deep.equal([names[0]]);

    db.setDown(false);
    await recorder.flush();
    expect(recorder.pending).to.equal(0);
    const chain = await db.memory.stores.audit.chainSlice('p', 0, 100);
    expect(
      chain.map((e) => e.resource),
      'each audited once, in order',
    ).to.deep.equal(names);
  });

  it('counts the decisions of a write under way against the buffer bound', async () => {
    let recordDuringWrite: (() => string | undefined) | undefined;
    let duringWrite: string | undefined | null = null;
    const db = switchableDatabase(() => {
      if (recordDuringWrite && duringWrite === null) duringWrite = recordDuringWrite();
    });
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    let dropped = 0;
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger(), { dropped: () => dropped++ }, 2);
    recorder.record(ctx, 'p', input, [result('a')], T0);
    recorder.record(ctx, 'p', input, [result('b')], T0);
    recordDuringWrite = () => recorder.record(ctx, 'p', input, [result('c')], T0);
    await recorder.flush();
    expect(duringWrite, 'refused while the two being written are not yet written').to.equal(undefined);
    expect(dropped).to.equal(1);
    expect(recorder.pending).to.equal(0);
    expect(recorder.record(ctx, 'p', input, [result('d')], T0), 'room again once written').to.be.a('string');
    await recorder.flush();
  });

  it('stores an image name holding a NUL or a lone surrogate with the character escaped', async () => {
    const db = switchableDatabase();
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger());
    const name = recorder.record(ctx, 'p', input, [result('a\u0000b\udc00c')], T0);
    await recorder.flush();
    const page = await db.memory.stores.decisions.list('p', { filter: undefined, filterText: '', pageSize: 10, pageToken: undefined });
    const stored = page.items.find((d) => d.name === name) as { results: ImageResult[] } | undefined;
    expect(stored?.results[0]?.image).to.equal('a\\u0000b\\udc00c');
  });

  it('writes a slice as soon as a slice’s worth is buffered, not waiting for the timer; fewer wait for it', async () => {
    let transactions = 0;
    const db = switchableDatabase(() => transactions++);
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger());
    const names = Array.from({ length: DECISION_SLICE - 1 }, (_, i) => recorder.record(ctx, 'p', input, [result(`img${i}`)], T0)!);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(transactions, 'one short of a slice: left to the timer').to.equal(0);
    names.push(recorder.record(ctx, 'p', input, [result('last')], T0)!);
    await settled(recorder);
    expect(transactions).to.equal(1);
    expect(recorder.pending).to.equal(0);
    expect(await storedNames(db.memory)).to.have.members(names);
    await recorder.flush();
    expect(transactions, 'nothing left for the timer').to.equal(1);
  });

  it('writes whole slices without waiting; the rest of a slice is left for more decisions, or the timer', async () => {
    let transactions = 0;
    const db = switchableDatabase(() => transactions++);
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger());
    for (let i = 0; i < DECISION_SLICE + 10; i++) recorder.record(ctx, 'p', input, [result(`img${i}`)], T0);
    for (let turn = 0; turn < 1000 && recorder.pending > 10; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(transactions, 'one full slice written').to.equal(1);
    expect(recorder.pending, 'the ten left waiting').to.equal(10);
    await recorder.flush();
    expect(transactions).to.equal(2);
    expect(recorder.pending).to.equal(0);
    expect(await storedNames(db.memory)).to.have.length(DECISION_SLICE + 10);
  });

  it('writes a slice’s worth gathered during a write right after it, in order', async () => {
    let transactions = 0;
    let during: (() => void) | undefined;
    const db = switchableDatabase(() => {
      if (++transactions === 1) during?.();
    });
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger());
    const names: string[] = [];
    const recordSlice = (tag: string): void => {
      for (let i = 0; i < DECISION_SLICE; i++) names.push(recorder.record(ctx, 'p', input, [result(`${tag}${i}`)], T0)!);
    };
    during = () => recordSlice('second');
    recordSlice('first');
    await settled(recorder);
    expect(transactions, 'one per slice, the second started by the end of the first').to.equal(2);
    const chain = await db.memory.stores.audit.chainSlice('p', 0, 10 * DECISION_SLICE);
    expect(chain.map((e) => e.resource)).to.deep.equal(names);
  });

  it('does not retry an unavailable database for every slice buffered: the unwritten wait for the timer (or a flush)', async () => {
    let transactions = 0;
    const db = switchableDatabase(() => transactions++);
    await db.memory.stores.projects.insert({ projectId: 'p', createTime: T0 });
    let dropped = 0;
    const recorder = new DecisionRecorder(db.uow, new AuditRecorder({ now: () => T0 }), silentLogger(), { dropped: () => dropped++ });
    db.setDown(true);
    const names = Array.from({ length: DECISION_SLICE }, (_, i) => recorder.record(ctx, 'p', input, [result(`img${i}`)], T0)!);
    for (let turn = 0; turn < 100 && transactions === 0; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(transactions, 'the slice’s worth was tried').to.equal(1);
    for (let i = 0; i < 3 * DECISION_SLICE; i++) names.push(recorder.record(ctx, 'p', input, [result(`more${i}`)], T0)!);
    for (let turn = 0; turn < 100; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(transactions, 'not tried again per slice while the database is away').to.equal(1);
    expect(recorder.pending, 'all kept').to.equal(4 * DECISION_SLICE);
    expect(dropped).to.equal(0);

    db.setDown(false);
    await recorder.flush();
    expect(recorder.pending).to.equal(0);
    const chain = await db.memory.stores.audit.chainSlice('p', 0, 10 * names.length);
    expect(
      chain.map((e) => e.resource),
      'every decision audited once, in order',
    ).to.deep.equal(names);
  });
});
