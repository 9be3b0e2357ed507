import { expect } from 'chai';
import knexFactory from 'knex';
import { systemClock } from '../../src/domain/clock';
import { digestOf, outboxHarness, PROJECT, type OutboxHarness } from './outbox-harness';
import { poll } from './registry-support';

// The signing outbox without a server: several workers on one outbox, crashes between accepting and
// signing, retries and permanent failures. CountingAttest counts every image it is asked to attest, so "signed
// exactly once" is measured at the signer, not only by the (idempotent) attestation store.

const PARENT = `projects/${PROJECT}`;

describe('registry hook outbox', function () {
  this.timeout(120_000);
  let h: OutboxHarness;

  beforeEach(async () => {
    h = await outboxHarness();
  });
  afterEach(async () => h?.close());

  it('two workers (two loops each) on one outbox sign each of 40 events exactly once', async () => {
    const N = 40;
    for (let i = 0; i < N; i++) {
      const r = await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push(`e${i}`, `kritis-demo/app${i % 7}`, digestOf(i)), '');
      expect(r.accepted).to.equal(1);
    }
    expect(await h.statuses()).to.deep.equal({ PENDING: N });
    const a = h.worker({ concurrency: 2 });
    const b = h.worker({ concurrency: 2 });
    a.start();
    b.start();
    try {
      await poll('every signing done', 60_000, async () => ((await h.statuses()).SIGNED === N ? true : undefined));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(h.attest.calls, 'images attested').to.equal(N);
    expect(await h.occurrences()).to.equal(N);
    expect(await h.statuses()).to.deep.equal({ SIGNED: N });
  });

  it('signs what was queued while every loop was busy, woken by the queueing alone (no poll to fall back on)', async () => {
    const worker = h.worker({ concurrency: 2, batchSize: 4, pollMs: 3_600_000 });
    let release!: () => void;
    h.attest.hold = new Promise((resolve) => (release = resolve));
    const receive = async (i: number): Promise<void> => {
      await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push(`busy${i}`, 'kritis-demo/busy', digestOf(100 + i)), '');
      worker.wake();
    };
    worker.start();
    try {
      // Each loop claims one push and is held signing it, its transaction open; the third finds no loop asleep.
      await receive(1);
      await poll('the first loop signing', 30_000, () => Promise.resolve(h.attest.calls === 1 ? true : undefined));
      await receive(2);
      await poll('the second loop signing', 30_000, () => Promise.resolve(h.attest.calls === 2 ? true : undefined));
      await receive(3);
      release();
      await poll('every signing done', 60_000, async () => ((await h.statuses()).SIGNED === 3 ? true : undefined));
    } finally {
      release();
      await worker.stop();
    }
    expect(h.attest.calls, 'images attested').to.equal(3);
    expect(await h.occurrences()).to.equal(3);
  });

  it('concurrent redeliveries of one event store it once and sign it once', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('same', 'kritis-demo/alpine'), '')),
    );
    expect(results.reduce((n, r) => n + r.accepted, 0)).to.equal(1);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).to.equal(7);
    while (await h.worker().runOnce());
    expect(h.attest.calls).to.equal(1);
    expect(await h.occurrences()).to.equal(1);
  });

  it('a claim that aborts (crash before signing) leaves the event PENDING; it is signed later exactly once', async () => {
    await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('c1', 'kritis-demo/alpine'), '');
    await h.uow
      .transaction(async (stores) => {
        expect(await stores.hooks.claimDue(systemClock.now())).to.not.equal(undefined);
        throw new Error('crash');
      })
      .catch(() => undefined);
    expect(await h.statuses()).to.deep.equal({ PENDING: 1 });
    const w = h.worker();
    expect(await w.runOnce()).to.equal(true);
    expect(await w.runOnce()).to.equal(false);
    expect(h.attest.calls).to.equal(1);
    expect(await h.statuses()).to.deep.equal({ SIGNED: 1 });
    expect(await h.occurrences()).to.equal(1);
  });

  it('a worker whose connection dies while holding the claim: others skip the row meanwhile, then sign it once', async () => {
    await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('k1', 'kritis-demo/alpine'), '');
    const url = (h.knex.client.config as { connection: { connectionString: string } }).connection.connectionString;
    const dying = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    const trx = await dying.transaction();
    const held = await trx.raw(
      `SELECT signing_id, pg_backend_pid() AS pid FROM hook_signings WHERE status = 'PENDING' FOR UPDATE SKIP LOCKED`,
    );
    expect(held.rows).to.have.length(1);
    const w = h.worker();
    expect(await w.runOnce(), 'the held row is skipped, not waited for').to.equal(false);
    await h.knex.raw('SELECT pg_terminate_backend(?)', [held.rows[0].pid]);
    await trx.rollback().catch(() => undefined);
    await dying.destroy();
    expect(await w.runOnce()).to.equal(true);
    expect(h.attest.calls).to.equal(1);
    expect(await h.occurrences()).to.equal(1);
    expect(await h.statuses()).to.deep.equal({ SIGNED: 1 });
  });

  it('a crash after the occurrence was written but before commit rolls it back; the retry signs once', async () => {
    await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('r1', 'kritis-demo/alpine'), '');
    h.attest.failures = ['after', 'before'];
    const w = h.worker();
    expect(await w.runOnce()).to.equal(true);
    expect(await h.occurrences(), 'rolled back').to.equal(0);
    expect(await w.runOnce()).to.equal(true);
    const [row] = await h.knex('hook_signings');
    expect(row).to.include({ status: 'PENDING', attempts: 2 });
    expect(row.reason).to.contain('internal error');
    expect(await w.runOnce()).to.equal(true);
    expect(await h.occurrences()).to.equal(1);
    expect(await h.statuses()).to.deep.equal({ SIGNED: 1 });
  });

  it('transient failures are retried with backoff, then FAILED with the reason after maxAttempts', async () => {
    await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('t1', 'kritis-demo/alpine'), '');
    h.attest.failures = ['before', 'before', 'before'];
    const w = h.worker({ maxAttempts: 3, backoffMs: 60_000 });
    expect(await w.runOnce()).to.equal(true);
    expect(await w.runOnce(), 'not due before its backoff').to.equal(false);
    const [first] = await h.knex('hook_signings');
    expect(new Date(first.next_attempt_time).getTime() - Date.now()).to.be.greaterThan(50_000);
    await h.knex('hook_signings').update({ next_attempt_time: new Date(0).toISOString() });
    expect(await w.runOnce()).to.equal(true);
    await h.knex('hook_signings').update({ next_attempt_time: new Date(0).toISOString() });
    expect(await w.runOnce()).to.equal(true);
    const [row] = await h.knex('hook_signings');
    expect(row).to.include({ status: 'FAILED', attempts: 3 });
    const page = await h.hooks.list(h.ctx, PARENT, { filter: undefined, filterText: '', pageSize: 10, pageToken: undefined });
    expect(page.items[0]).to.include({ status: 'FAILED', attempts: 3 });
    expect(String(page.items[0]!.reason)).to.contain('internal error');
  });

  it('a permanent failure (disabled key) fails at once with the reason; enabling the key signs it, a new push adds nothing', async () => {
    await h.keys.setEnabled(h.ctx, `${PARENT}/keys/k`, false);
    await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('p1', 'kritis-demo/alpine'), '');
    const w = h.worker();
    expect(await w.runOnce()).to.equal(true);
    const [row] = await h.knex('hook_signings');
    expect(row).to.include({ status: 'FAILED', attempts: 1 });
    expect(row.reason).to.match(/^FAILED_PRECONDITION: /);
    expect(row.reason).to.match(new RegExp(`retried when ${PARENT}/keys/k is enabled again$`));
    await h.keys.setEnabled(h.ctx, `${PARENT}/keys/k`, true);
    expect(await w.runOnce(), 'enabling the key re-armed the signing').to.equal(true);
    expect(await h.statuses()).to.deep.equal({ SIGNED: 1 });
    const again = await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push('p2', 'kritis-demo/alpine'), '');
    expect(again.accepted).to.equal(1);
    expect(await w.runOnce(), 'the image is signed already').to.equal(false);
    expect(await h.statuses()).to.deep.equal({ SIGNED: 1 });
    expect(h.attest.calls).to.equal(2);
    const page = await h.hooks.list(h.ctx, PARENT, { filter: undefined, filterText: '', pageSize: 10, pageToken: undefined });
    expect(page.items.map((e) => e.status)).to.deep.equal(['SIGNED', 'SIGNED']);
  });

  it('stop() lets an in-flight signing finish and then resolves', async () => {
    for (let i = 0; i < 5; i++)
      await h.hooks.receive(h.ctx, 'distribution', PARENT, h.push(`s${i}`, 'kritis-demo/alpine', digestOf(100 + i)), '');
    const w = h.worker({ concurrency: 1 });
    w.start();
    await poll('first signed', 20_000, async () => ((await h.statuses()).SIGNED ? true : undefined));
    await w.stop();
    const s = await h.statuses();
    expect((s.SIGNED ?? 0) + (s.PENDING ?? 0)).to.equal(5);
    expect(await h.occurrences()).to.equal(s.SIGNED);
  });
});
