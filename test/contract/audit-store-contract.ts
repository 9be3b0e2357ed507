import { expect } from 'chai';
import { eventHash, GENESIS_HASH, type AuditEvent, type NewAuditEvent } from '../../src/domain/audit-event';
import type { Committed } from '../../src/domain/stores/unit-of-work';
import type { StoreBackend } from './backends';
import { at, expectBadToken, query, rejection, tampered, useDatabase } from './contract-fixtures';

const event = (projectId: string, method: string, second = 0, kind: NewAuditEvent['kind'] = 'change'): NewAuditEvent => ({
  projectId,
  time: at(second),
  actor: second % 2 === 0 ? 'alice' : 'bob',
  method,
  resource: `projects/${projectId}/notes/${method}`,
  requestId: `req-${method}`,
  kind,
  details: { transport: 'rest', nested: { b: 1, a: [1, 'two'] } },
});

/** Every link of a chain holds: seq 1..n, each prevHash the previous hash (genesis first), each hash recomputed. */
function expectChain(events: readonly AuditEvent[]): void {
  events.forEach((e, i) => {
    expect(e.seq).to.equal(i + 1);
    expect(e.prevHash).to.equal(i === 0 ? GENESIS_HASH : events[i - 1]!.hash);
    const { hash, ...unhashed } = e;
    expect(eventHash(unhashed)).to.equal(hash);
  });
}

/** What every AuditStore must do: pending events chained per project by the sequencer, the chain read back intact. */
export function auditStoreContract(backend: StoreBackend): void {
  describe(`audit store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { db, uow } = useDatabase(backend);
    const audit = () => uow().stores.audit;

    it('appends events unchained, with ids, and reports the projects it wrote for on commit', async () => {
      const seen: Committed[] = [];
      const ids = await db()
        .unitOfWork((c) => seen.push(c))
        .transaction((s) => s.audit.appendMany([event('a1', 'm1', 1), event('a1', 'm2', 2), event('a2', 'm1', 3)]));
      expect(ids).to.have.length(3);
      expect(new Set(ids).size).to.equal(3);
      expect(seen.map((c) => [...c.audited].sort())).to.deep.equal([['a1', 'a2']]);
      expect(await audit().pendingCount('a1')).to.equal(2);
      expect(await audit().pendingCount()).to.equal(3);
      expect(
        await audit()
          .pendingProjects()
          .then((p) => p.sort()),
      ).to.deep.equal(['a1', 'a2']);
      expect((await audit().list('a1', query())).items).to.deep.equal([]);
      expect(await audit().appendMany([])).to.deep.equal([]);
    });

    it('writes nothing for a transaction that rolls back', async () => {
      await rejection(
        uow().transaction(async (s) => {
          await s.audit.appendMany([event('gone', 'm')]);
          throw new Error('rolled back');
        }),
      );
      expect(await audit().pendingCount('gone')).to.equal(0);
    });

    it("chains a project's pending events in append order after its head, at most `limit` a round", async () => {
      await audit().appendMany([event('a1', 'm3', 4)]);
      const first = await uow().transaction((s) => s.audit.sequence('a1', 2));
      expect(first).to.deep.equal({ events: 2, changes: 2 });
      expect(await audit().pendingCount('a1')).to.equal(1);
      const second = await uow().transaction((s) => s.audit.sequence('a1', 10));
      expect(second).to.deep.equal({ events: 1, changes: 1 });
      expect(await uow().transaction((s) => s.audit.sequence('a1', 10))).to.deep.equal({ events: 0, changes: 0 });
      const chain = (await audit().list('a1', query('', 100))).items;
      expect(chain.map((e) => e.method)).to.deep.equal(['m1', 'm2', 'm3']);
      expectChain(chain);
      expect(chain[0]).to.deep.include({ projectId: 'a1', actor: 'bob', time: at(1), requestId: 'req-m1', kind: 'change' });
      expect(chain[0]!.details).to.deep.equal({ transport: 'rest', nested: { b: 1, a: [1, 'two'] } });
      // The other project's events wait for their own round.
      expect(await audit().pendingCount('a2')).to.equal(1);
    });

    it('counts the change events of a round apart from the others', async () => {
      await audit().appendMany([event('a2', 'refused', 5, 'security'), event('a2', 'review', 6, 'decision')]);
      expect(await uow().transaction((s) => s.audit.sequence('a2', 10))).to.deep.equal({ events: 3, changes: 1 });
      expectChain((await audit().list('a2', query('', 100))).items);
    });

    it('chains events at once after the head (appendChained), across projects', async () => {
      await uow().transaction((s) =>
        s.audit.appendChained([event('a1', 'd1', 7, 'decision'), event('a3', 'd1', 8, 'decision'), event('a1', 'd2', 9, 'decision')]),
      );
      const a1 = (await audit().list('a1', query('', 100))).items;
      expect(a1.map((e) => e.method)).to.deep.equal(['m1', 'm2', 'm3', 'd1', 'd2']);
      expectChain(a1);
      expectChain((await audit().list('a3', query('', 100))).items);
      expect(await audit().pendingCount('a3')).to.equal(0);
    });

    it('shows heads, chains, slices and single events', async () => {
      await uow().transaction((s) => s.audit.sequence('empty', 10));
      const heads = await audit().heads();
      const a1 = (await audit().list('a1', query('', 100))).items;
      expect(heads.map((h) => h.projectId)).to.deep.equal(['a1', 'a2', 'a3', 'empty']);
      expect(heads[0]).to.deep.equal({ projectId: 'a1', seq: 5, hash: a1[4]!.hash });
      expect(heads[3]).to.deep.equal({ projectId: 'empty', seq: 0, hash: GENESIS_HASH });
      expect(await audit().chains()).to.deep.equal(['a1', 'a2', 'a3', 'empty']);
      expect(await audit().chainSlice('a1', 2, 2)).to.deep.equal(a1.slice(2, 4));
      expect(await audit().chainSlice('a1', 5, 10)).to.deep.equal([]);
      expect(await audit().eventAt('a1', 3)).to.deep.equal(a1[2]);
      expect(await audit().eventAt('a1', 6)).to.equal(undefined);
    });

    it('filters and pages the chain in seq order with tokens bound to the filter', async () => {
      const methods = async (filter: string) => (await audit().list('a1', query(filter, 100))).items.map((e) => e.method);
      expect(await methods('actor="bob"')).to.deep.equal(['m1', 'd1', 'd2']);
      expect(await methods('seq>=2 AND seq<4')).to.deep.equal(['m2', 'm3']);
      expect(await methods('kind="decision" OR method=m1')).to.deep.equal(['m1', 'd1', 'd2']);
      expect(await methods('time>"2026-01-01T00:00:04Z"')).to.deep.equal(['d1', 'd2']);
      expect(await methods('resource:"notes/d"')).to.deep.equal(['d1', 'd2']);
      const first = await audit().list('a1', query('seq>1', 2));
      const second = await audit().list('a1', query('seq>1', 2, first.nextPageToken));
      expect([...first.items, ...second.items].map((e) => e.seq)).to.deep.equal([2, 3, 4, 5]);
      expect(second.nextPageToken).to.equal('');
      await expectBadToken(audit().list('a1', query('seq>0', 2, first.nextPageToken)));
      await expectBadToken(audit().list('a2', query('seq>1', 2, first.nextPageToken)));
      await expectBadToken(audit().list('a1', query('seq>1', 2, tampered(first.nextPageToken))));
      const err = await rejection(audit().list('a1', query('seq=abc')));
      expect(err.code).to.equal('INVALID_ARGUMENT');
    });

    it('reads a consistent snapshot while chaining goes on', async () => {
      await audit().appendMany([event('a1', 'late', 10)]);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let read!: () => void;
      const headsRead = new Promise<void>((resolve) => (read = resolve));
      const snapshot = audit().inSnapshot(async (s) => {
        const head = (await s.heads()).find((h) => h.projectId === 'a1')!;
        read();
        await released;
        return { head, events: await s.chainSlice('a1', 0, 100), pending: await s.pendingCount('a1') };
      });
      await headsRead;
      await uow().transaction((s) => s.audit.sequence('a1', 10));
      release();
      const seen = await snapshot;
      expect(seen.head.seq).to.equal(5);
      expect(seen.events.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(seen.pending).to.equal(1);
      expect((await audit().chainSlice('a1', 5, 10)).map((e) => e.method)).to.deep.equal(['late']);
    });

    it('stamps where recorded changes stand: undefined while one is pending, the newest chained change after', async () => {
      const stamp = (p: string) => audit().changeStamp(p);
      expect(await stamp('s1')).to.equal(0);
      await audit().appendMany([event('s1', 'c1', 1)]);
      expect(await stamp('s1')).to.equal(undefined);
      await uow().transaction((s) => s.audit.sequence('s1', 10));
      expect(await stamp('s1')).to.equal(1);
      // Decisions and security events are not changes: the stamp stays.
      await audit().appendMany([event('s1', 'refused', 2, 'security')]);
      expect(await stamp('s1')).to.equal(1);
      await uow().transaction((s) => s.audit.sequence('s1', 10));
      await uow().transaction((s) => s.audit.appendChained([event('s1', 'd1', 3, 'decision')]));
      expect(await stamp('s1')).to.equal(1);
      await audit().appendMany([event('s1', 'c2', 4)]);
      expect(await stamp('s1')).to.equal(undefined);
      await uow().transaction((s) => s.audit.sequence('s1', 10));
      expect(await stamp('s1')).to.equal(4);
    });
  });
}
