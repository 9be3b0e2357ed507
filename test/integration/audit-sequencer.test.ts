import { expect } from 'chai';
import fc from 'fast-check';
import type { Knex } from 'knex';
import pg from 'pg';
import type { NewAuditEvent } from '../../src/domain/audit-event';
import { AuditSequencer } from '../../src/audit/audit-sequencer';
import { verifyAuditChains } from '../../src/audit/audit-verifier';
import { silentLogger } from '../../src/logger';
import { migrateLatest, openDatabase } from '../../src/store/database';
import { PageTokens } from '../../src/store/page-token';
import type { Committed } from '../../src/domain/stores/unit-of-work';
import { CHANGE_CHANNEL, PostgresUnitOfWork } from '../../src/store/postgres-unit-of-work';
import { testBackends } from '../support/test-database';

const event = (projectId: string, method: string, kind: NewAuditEvent['kind'] = 'change'): NewAuditEvent => ({
  projectId,
  time: new Date().toISOString(),
  actor: 'alice',
  method,
  resource: `projects/${projectId}/notes/${method}`,
  requestId: method,
  kind,
  details: { transport: 'test', nested: { b: 1, a: [1, 'two'] } },
});

const chain = async (knex: Knex, projectId: string): Promise<{ seq: string; method: string }[]> =>
  knex('audit_events').where('project_id', projectId).orderBy('seq').select('seq', 'method');

for (const backend of testBackends()) {
  // Requests write audit events unchained; the sequencer chains them after commit (ADR 0009).
  describe(`audit sequencer (${backend.name})`, function () {
    this.timeout(120000);
    let url: string;
    let knex: Knex;
    let committed: Committed[];
    let uow: PostgresUnitOfWork;

    before(async () => {
      url = await backend.createDatabase();
      knex = openDatabase({ url, poolMax: 8 });
      await migrateLatest(knex);
    });
    beforeEach(() => {
      committed = [];
      uow = new PostgresUnitOfWork(knex, new PageTokens(Buffer.alloc(32, 1)), (c) => committed.push(c));
    });
    after(async () => knex?.destroy());

    it('leaves committed events pending, tells the commit hook which projects, and chains them in order on flush', async () => {
      await uow.transaction((s) => s.audit.appendMany([event('s1', 'A'), event('s1', 'B'), event('s1b', 'C')]));
      expect(committed.map((c) => [...c.audited].sort())).to.deep.equal([['s1', 's1b']]);
      expect(await chain(knex, 's1')).to.deep.equal([]);
      expect(await uow.stores.audit.pendingCount('s1')).to.equal(2);

      await new AuditSequencer(uow, silentLogger()).flush('s1');
      expect(await chain(knex, 's1')).to.deep.equal([
        { seq: '1', method: 'A' },
        { seq: '2', method: 'B' },
      ]);
      expect(await uow.stores.audit.pendingCount('s1')).to.equal(0);
      expect(await uow.stores.audit.pendingCount('s1b')).to.equal(1);
      expect((await verifyAuditChains(uow.stores.audit, [], 's1')).problems).to.deep.equal([]);
    });

    it('writes nothing for a rolled-back transaction and wakes nobody', async () => {
      const failing = uow.transaction(async (s) => {
        await s.audit.appendMany([event('s2', 'A')]);
        throw new Error('the change failed');
      });
      expect(
        await failing.then(
          () => 'committed',
          (e: Error) => e.message,
        ),
      ).to.equal('the change failed');
      expect(committed).to.deep.equal([]);
      expect(await uow.stores.audit.pendingCount('s2')).to.equal(0);
    });

    it('chains what a stopped writer left behind from the sweep alone', async () => {
      await uow.stores.audit.appendMany([event('s3', 'A'), event('s3', 'B')]);
      const sequencer = new AuditSequencer(uow, silentLogger(), { sweepMs: 50 });
      sequencer.start();
      try {
        for (let i = 0; i < 100 && (await uow.stores.audit.pendingCount('s3')) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      } finally {
        await sequencer.stop();
      }
      expect((await chain(knex, 's3')).map((e) => e.method)).to.deep.equal(['A', 'B']);
    });

    it('announces chained changes to other replicas (NOTIFY) and stays quiet for decisions', async () => {
      const listener = new pg.Client({ connectionString: url });
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (m) => m.channel === CHANGE_CHANNEL && heard.push(m.payload ?? ''));
      await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
      try {
        const sequencer = new AuditSequencer(uow, silentLogger());
        await uow.stores.audit.appendMany([event('s4-decisions', 'D', 'decision')]);
        await sequencer.flush('s4-decisions');
        await uow.stores.audit.appendMany([event('s4', 'A')]);
        await sequencer.flush('s4');
        for (let i = 0; i < 40 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
        expect(heard).to.deep.equal(['s4']);
      } finally {
        await listener.end();
      }
    });

    it('chains in batches when more events are pending than one round takes', async () => {
      await uow.stores.audit.appendMany(Array.from({ length: 25 }, (_, i) => event('s5', `M${String(i).padStart(2, '0')}`)));
      await new AuditSequencer(uow, silentLogger(), { batch: 7 }).flush('s5');
      const events = await chain(knex, 's5');
      expect(events.map((e) => e.method)).to.deep.equal(Array.from({ length: 25 }, (_, i) => `M${String(i).padStart(2, '0')}`));
      expect((await verifyAuditChains(uow.stores.audit, [], 's5')).problems).to.deep.equal([]);
    });

    it('interleaves batches chained at once (decisions) with sequenced events in one verifiable chain', async () => {
      const sequencer = new AuditSequencer(uow, silentLogger());
      await Promise.all([
        uow.transaction((s) => s.audit.appendMany([event('s7', 'P1'), event('s7', 'P2')])).then(() => sequencer.flush('s7')),
        uow.transaction((s) =>
          s.audit.appendChained([event('s7', 'D1', 'decision'), event('s7', 'D2', 'decision'), event('s7-other', 'D3', 'decision')]),
        ),
        uow.transaction((s) => s.audit.appendMany([event('s7', 'P3')])).then(() => sequencer.flush('s7')),
      ]);
      await sequencer.flushAll();
      const events = await chain(knex, 's7');
      expect(events.map((e) => Number(e.seq))).to.deep.equal([1, 2, 3, 4, 5]);
      expect(events.map((e) => e.method).sort()).to.deep.equal(['D1', 'D2', 'P1', 'P2', 'P3']);
      expect(events.findIndex((e) => e.method === 'D2') - events.findIndex((e) => e.method === 'D1')).to.equal(1);
      expect((await chain(knex, 's7-other')).map((e) => e.method)).to.deep.equal(['D3']);
      expect((await verifyAuditChains(uow.stores.audit, [])).problems).to.deep.equal([]);
    });

    it('keeps one gapless, verifiable chain per project whatever the interleaving of writers and competing sequencers', async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ project: fc.constantFrom('a', 'b'), size: fc.integer({ min: 1, max: 5 }), rollback: fc.boolean() }), {
            minLength: 1,
            maxLength: 12,
          }),
          fc.integer({ min: 1, max: 4 }),
          async (writes, batch) => {
            const prefix = `s6-${round++}-`;
            // Two "replicas": separate sequencers over the same database, both woken by every commit.
            const replicas = [new AuditSequencer(uow, silentLogger(), { batch }), new AuditSequencer(uow, silentLogger(), { batch })];
            const woken: Promise<void>[] = [];
            const expected = new Map<string, number>();
            await Promise.all(
              writes.map(async (w, i) => {
                const project = prefix + w.project;
                await uow
                  .transaction(async (s) => {
                    await s.audit.appendMany(Array.from({ length: w.size }, (_, k) => event(project, `W${i}.${k}`)));
                    if (w.rollback) throw new Error('rolled back');
                  })
                  .then(
                    () => {
                      expected.set(project, (expected.get(project) ?? 0) + w.size);
                      for (const r of replicas) woken.push(r.flush(project));
                    },
                    () => undefined,
                  );
              }),
            );
            await Promise.all(woken);
            for (const r of replicas) await r.flushAll();
            for (const project of [prefix + 'a', prefix + 'b']) {
              const events = await chain(knex, project);
              expect(events.map((e) => Number(e.seq))).to.deep.equal(Array.from({ length: expected.get(project) ?? 0 }, (_, k) => k + 1));
              expect(new Set(events.map((e) => e.method)).size).to.equal(events.length);
              expect((await verifyAuditChains(uow.stores.audit, [], project)).problems).to.deep.equal([]);
            }
            expect((await uow.stores.audit.pendingCount(prefix + 'a')) + (await uow.stores.audit.pendingCount(prefix + 'b'))).to.equal(0);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
