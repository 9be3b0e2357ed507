import { expect } from 'chai';
import { newId } from '../../src/domain/new-id';
import type { HookEventRow, SigningJob } from '../../src/domain/stores/hook-store';
import type { StoreBackend } from './backends';
import { at, createProjects, expectBadToken, query, rejection, tampered, useDatabase } from './contract-fixtures';

const job = (digest: string, extra: Partial<SigningJob> = {}): Omit<SigningJob, 'signingId' | 'attempts'> => ({
  projectId: 'h1',
  witnessId: 'w1',
  registry: '127.0.0.1:5000',
  repository: 'ns/app',
  digest,
  actor: 'registry',
  createTime: at(0),
  ...extra,
});

const eventRow = (eventId: string, signingId: string | undefined, extra: Partial<HookEventRow> = {}): HookEventRow => ({
  projectId: 'h1',
  hookEventId: newId(),
  source: 'distribution',
  eventId,
  action: 'push',
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  image: signingId ? `127.0.0.1:5000/ns/app@sha256:${eventId}` : '',
  tag: 'v1',
  ruleId: signingId ? 'rule' : '',
  witnessId: signingId ? 'w1' : '',
  signingId,
  reason: signingId ? '' : 'no enabled signing rule covers it',
  receiveTime: at(1),
  ...extra,
});

/** What every HookStore must do: receipts, the signing outbox (claims, retries, failure) and the hookEvents view. */
export function hookStoreContract(backend: StoreBackend): void {
  describe(`hook store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { uow } = useDatabase(backend);
    const hooks = () => uow().stores.hooks;

    before(async () => createProjects(uow(), 'h1', 'h2'));

    it('records an event id once per project and source', async () => {
      expect(await hooks().receipt('h1', 'distribution', 'e1', at(0))).to.equal(true);
      expect(await hooks().receipt('h1', 'distribution', 'e1', at(1))).to.equal(false);
      expect(await hooks().receipt('h1', 'harbor', 'e1', at(0))).to.equal(true);
      expect(await hooks().receipt('h2', 'distribution', 'e1', at(0))).to.equal(true);
      const err = await rejection(hooks().receipt('absent', 'distribution', 'e1', at(0)));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
    });

    it('queues one signing per witness and image, whatever the number of pushes', async () => {
      const a = await hooks().enqueue(job('sha256:a'));
      expect(await hooks().enqueue(job('sha256:a', { actor: 'someone else', createTime: at(5) }))).to.equal(a);
      expect(await hooks().enqueue(job('sha256:a', { witnessId: 'w2', createTime: at(1) }))).to.not.equal(a);
      expect(await hooks().backlog()).to.equal(2);
    });

    it('claims due jobs oldest first, up to a limit, optionally only some', async () => {
      await hooks().enqueue(job('sha256:b', { createTime: at(2) }));
      await hooks().enqueue(job('sha256:later', { createTime: at(100) }));
      const due = await uow().transaction((s) => s.hooks.claimDueMany(at(10), 10));
      expect(due.map((j) => [j.digest, j.witnessId, j.attempts])).to.deep.equal([
        ['sha256:a', 'w1', 0],
        ['sha256:a', 'w2', 0],
        ['sha256:b', 'w1', 0],
      ]);
      expect(due[0]).to.deep.include({
        projectId: 'h1',
        registry: '127.0.0.1:5000',
        repository: 'ns/app',
        actor: 'registry',
        createTime: at(0),
      });
      expect((await uow().transaction((s) => s.hooks.claimDueMany(at(10), 1))).map((j) => j.digest)).to.deep.equal(['sha256:a']);
      const only = await uow().transaction((s) => s.hooks.claimDueMany(at(1000), 10, [due[2]!.signingId]));
      expect(only.map((j) => j.signingId)).to.deep.equal([due[2]!.signingId]);
      expect((await uow().transaction((s) => s.hooks.claimDue(at(1000))))?.digest).to.equal('sha256:a');
      expect(await uow().transaction((s) => s.hooks.claimDue('2025-01-01T00:00:00.000Z'))).to.equal(undefined);
    });

    it('gives a claim back when its transaction rolls back', async () => {
      await rejection(
        uow().transaction(async (s) => {
          const [j] = await s.hooks.claimDueMany(at(10), 1);
          await s.hooks.markSigned([{ signingId: j!.signingId, occurrence: 'projects/h1/occurrences/x' }], at(10));
          throw new Error('crashed before commit');
        }),
      );
      expect((await uow().transaction((s) => s.hooks.claimDueMany(at(10), 1))).map((j) => [j.digest, j.attempts])).to.deep.equal([
        ['sha256:a', 0],
      ]);
    });

    it('never hands one job to two transactions claiming at the same time', async () => {
      const claimAndSign = () =>
        uow().transaction(async (s) => {
          const jobs = await s.hooks.claimDueMany(at(10), 2);
          await new Promise((resolve) => setTimeout(resolve, backend.name === 'memory' ? 1 : 20));
          await s.hooks.markSigned(
            jobs.map((j) => ({ signingId: j.signingId, occurrence: `projects/h1/occurrences/${j.digest}-${j.witnessId}` })),
            at(11),
          );
          return jobs.map((j) => j.signingId);
        });
      const [a, b] = await Promise.all([claimAndSign(), claimAndSign()]);
      // Whichever claimed first took two; the other only what was left.
      expect([a.length, b.length].sort()).to.deep.equal([1, 2]);
      expect(new Set([...a, ...b]).size).to.equal(3);
      expect(await hooks().backlog()).to.equal(1);
      expect(await uow().transaction((s) => s.hooks.claimDueMany(at(10), 10))).to.deep.equal([]);
    });

    it('counts failed attempts, retries at the time given, and fails for good when told', async () => {
      const id = await hooks().enqueue(job('sha256:flaky', { createTime: at(20) }));
      await uow().transaction((s) => s.hooks.markAttemptFailed(id, 'UNAVAILABLE: later', false, at(30), at(21)));
      expect(await uow().transaction((s) => s.hooks.claimDueMany(at(29), 10, [id]))).to.deep.equal([]);
      const [retry] = await uow().transaction((s) => s.hooks.claimDueMany(at(30), 10, [id]));
      expect(retry?.attempts).to.equal(1);
      await uow().transaction((s) => s.hooks.markAttemptFailed(id, `NOT_FOUND: ${'x'.repeat(3000)}`, true, at(40), at(31)));
      expect(await uow().transaction((s) => s.hooks.claimDueMany(at(1000), 10, [id]))).to.deep.equal([]);
      // A FAILED job is not touched by another failure, and a new push re-arms it.
      await uow().transaction((s) => s.hooks.markAttemptFailed(id, 'again', false, at(50), at(50)));
      expect(await hooks().enqueue(job('sha256:flaky', { createTime: at(60), actor: 'pusher-2' }))).to.equal(id);
      const [rearmed] = await uow().transaction((s) => s.hooks.claimDueMany(at(60), 10, [id]));
      expect(rearmed).to.deep.include({ attempts: 0, actor: 'pusher-2' });
    });

    it('lists events with their signing state, filtered and paged', async () => {
      const signed = (await uow().transaction((s) => s.hooks.claimDueMany(at(1000), 10))).find((j) => j.digest === 'sha256:later')!;
      await uow().transaction((s) =>
        s.hooks.markSigned([{ signingId: signed.signingId, occurrence: 'projects/h1/occurrences/o1' }], at(200)),
      );
      const flaky = await hooks().enqueue(job('sha256:flaky'));
      await uow().transaction((s) => s.hooks.markAttemptFailed(flaky, `NOT_FOUND: ${'x'.repeat(3000)}`, true, at(300), at(300)));
      const rows = [
        eventRow('later', signed.signingId),
        eventRow('flaky', flaky, { tag: '' }),
        eventRow('ignored', undefined, { action: 'pull' }),
      ];
      await hooks().insertEvents(rows);
      const all = await hooks().list('h1', query('', 100));
      expect(all.items.map((e) => [e.name, e.status])).to.deep.equal([
        [`projects/h1/hookEvents/${rows[0]!.hookEventId}`, 'SIGNED'],
        [`projects/h1/hookEvents/${rows[1]!.hookEventId}`, 'FAILED'],
        [`projects/h1/hookEvents/${rows[2]!.hookEventId}`, 'IGNORED'],
      ]);
      expect(all.items[0]).to.deep.include({
        occurrence: 'projects/h1/occurrences/o1',
        witness: 'projects/h1/witnesses/w1',
        signingRule: 'projects/h1/signingRules/rule',
        receiveTime: at(1),
        updateTime: at(200),
      });
      expect(all.items[1]!.attempts).to.equal(1);
      expect(String(all.items[1]!.reason)).to.have.length(2000);
      expect(all.items[2]).to.deep.include({
        reason: 'no enabled signing rule covers it',
        witness: '',
        signingRule: '',
        updateTime: at(1),
      });
      const statuses = async (filter: string) => (await hooks().list('h1', query(filter, 100))).items.map((e) => e.status);
      expect(await statuses('status=IGNORED OR status=FAILED')).to.deep.equal(['FAILED', 'IGNORED']);
      expect(await statuses('witness="projects/h1/witnesses/w1" AND tag:*')).to.deep.equal(['SIGNED']);
      expect(await statuses('image="127.0.0.1:5000/ns/app@*" AND action=push')).to.deep.equal(['SIGNED', 'FAILED']);
      expect((await hooks().list('h2', query())).items).to.deep.equal([]);
      const first = await hooks().list('h1', query('source=distribution', 2));
      const rest = await hooks().list('h1', query('source=distribution', 2, first.nextPageToken));
      expect([...first.items, ...rest.items]).to.deep.equal(all.items);
      await expectBadToken(hooks().list('h1', query('', 2, first.nextPageToken)));
      await expectBadToken(hooks().list('h1', query('source=distribution', 2, tampered(first.nextPageToken))));
      const err = await rejection(hooks().list('h1', query('status=DONE')));
      expect(err.code).to.equal('INVALID_ARGUMENT');
    });

    it('refuses an event pointing at a signing that does not exist', async () => {
      const err = await rejection(hooks().insertEvents([eventRow('orphan', newId())]));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
    });

    it('prunes old ignored events and receipts, never the signing history', async () => {
      const before = (await hooks().list('h1', query('', 100))).items.length;
      const pruned = await uow().transaction((s) => s.hooks.prune(at(2)));
      // The ignored event, and the three receipts received before the cutoff.
      expect(pruned).to.equal(4);
      const after = await hooks().list('h1', query('', 100));
      expect(after.items.map((e) => e.status)).to.deep.equal(['SIGNED', 'FAILED']);
      expect(before).to.equal(3);
      expect(await hooks().receipt('h1', 'distribution', 'e1', at(3))).to.equal(true);
      expect(await uow().transaction((s) => s.hooks.prune(at(0)))).to.equal(0);
    });

    it('finds one event with its signing, re-arms a FAILED signing, and re-arms those waiting on a key', async () => {
      const waiting = await hooks().enqueue(job('sha256:waiting', { createTime: at(400) }));
      const other = await hooks().enqueue(job('sha256:other-key', { createTime: at(400) }));
      const plain = await hooks().enqueue(job('sha256:plain', { createTime: at(400) }));
      await uow().transaction(async (s) => {
        await s.hooks.markAttemptFailed(waiting, 'FAILED_PRECONDITION: disabled', true, at(500), at(401), 'projects/h1/keys/k');
        await s.hooks.markAttemptFailed(other, 'FAILED_PRECONDITION: disabled', true, at(500), at(401), 'projects/h1/keys/k2');
        await s.hooks.markAttemptFailed(plain, 'NOT_FOUND: no witness', true, at(500), at(401));
      });
      const rows = [eventRow('waiting', waiting), eventRow('plain', plain), eventRow('skipped', undefined)];
      await hooks().insertEvents(rows);
      const found = await hooks().event('h1', rows[0]!.hookEventId);
      expect(found?.row).to.deep.include({ eventId: 'waiting', signingId: waiting, witnessId: 'w1', receiveTime: at(1) });
      expect(found?.signing).to.deep.equal({
        kind: 'SIGN',
        status: 'FAILED',
        attempts: 1,
        reason: 'FAILED_PRECONDITION: disabled',
        occurrence: '',
        updateTime: at(401),
      });
      expect((await hooks().event('h1', rows[2]!.hookEventId))?.signing).to.equal(undefined);
      expect(await hooks().event('h2', rows[0]!.hookEventId)).to.equal(undefined);
      expect(await hooks().event('h1', newId())).to.equal(undefined);

      // Enabling a key re-arms only the FAILED signings of that project waiting on it.
      expect(await uow().transaction((s) => s.hooks.retryWaitingOn('h2', 'projects/h1/keys/k', at(600)))).to.equal(0);
      expect(await uow().transaction((s) => s.hooks.retryWaitingOn('h1', 'projects/h1/keys/k', at(600)))).to.equal(1);
      expect(await uow().transaction((s) => s.hooks.retryWaitingOn('h1', 'projects/h1/keys/k', at(600)))).to.equal(0);
      expect(await uow().transaction((s) => s.hooks.retryWaitingOn('h1', '', at(600)))).to.equal(0);
      expect((await hooks().event('h1', rows[0]!.hookEventId))?.signing).to.deep.include({ status: 'PENDING', attempts: 0, reason: '' });
      expect(
        (await uow().transaction((s) => s.hooks.claimDueMany(at(600), 10, [waiting, other, plain]))).map((j) => j.digest),
      ).to.deep.equal(['sha256:waiting']);

      // A retry by hand re-arms a FAILED signing once; PENDING or SIGNED ones are left alone.
      expect(await uow().transaction((s) => s.hooks.retry(plain, at(700)))).to.equal(true);
      expect(await uow().transaction((s) => s.hooks.retry(plain, at(701)))).to.equal(false);
      expect((await hooks().event('h1', rows[1]!.hookEventId))?.signing).to.deep.include({
        status: 'PENDING',
        attempts: 0,
        reason: '',
        updateTime: at(700),
      });
      const due = await uow().transaction((s) => s.hooks.claimDueMany(at(700), 10, [plain]));
      expect(due.map((j) => [j.digest, j.attempts])).to.deep.equal([['sha256:plain', 0]]);
      // A retried signing that fails again for another reason no longer waits on the key.
      await uow().transaction((s) => s.hooks.markAttemptFailed(waiting, 'UNAVAILABLE: later', false, at(800), at(601)));
      await uow().transaction((s) => s.hooks.markAttemptFailed(waiting, 'NOT_FOUND: gone', true, at(800), at(801)));
      expect(await uow().transaction((s) => s.hooks.retryWaitingOn('h1', 'projects/h1/keys/k', at(900)))).to.equal(0);
      expect(await uow().transaction((s) => s.hooks.retryWaitingOn('h1', 'projects/h1/keys/k2', at(900)))).to.equal(1);
    });

    it('keeps imports apart from signings: their own key, leases, IMPORTED / REJECTED with occurrences, shown with the import rule', async () => {
      const imp = { ...job('sha256:i1', { projectId: 'h2' }), tag: 'sha256-abc.sig', plainHttp: true };
      const a = await hooks().enqueueImport(imp);
      expect(await hooks().enqueueImport({ ...imp, actor: 'again', createTime: at(3) })).to.equal(a);
      const signing = await hooks().enqueue(job('sha256:i1', { projectId: 'h2' }));
      expect(signing).to.not.equal(a);
      const b = await hooks().enqueueImport({ ...imp, digest: 'sha256:i2', tag: '', plainHttp: false });
      // Signing workers never claim imports.
      expect((await uow().transaction((s) => s.hooks.claimDueMany(at(10), 100))).map((j) => j.signingId)).to.not.include.members([a, b]);
      const leased = await uow().transaction((s) => s.hooks.leaseImports(at(10), at(100), 5));
      expect(leased.map((j) => [j.signingId, j.tag, j.plainHttp, j.digest, j.attempts])).to.deep.equal([
        [a, 'sha256-abc.sig', true, 'sha256:i1', 0],
        [b, '', false, 'sha256:i2', 0],
      ]);
      expect(await uow().transaction((s) => s.hooks.leaseImports(at(50), at(150), 5))).to.deep.equal([]);
      expect(await uow().transaction((s) => s.hooks.holdLease(a, at(99)))).to.equal(false);
      expect(await uow().transaction((s) => s.hooks.holdLease(signing, at(100)))).to.equal(false);
      await uow().transaction(async (s) => {
        expect(await s.hooks.holdLease(a, at(100))).to.equal(true);
        await s.hooks.markImported(a, 'IMPORTED', ['projects/h2/occurrences/o1', 'projects/h2/occurrences/o2'], 'layer 1: bad', at(20));
      });
      expect(await uow().transaction((s) => s.hooks.holdLease(a, at(100)))).to.equal(false);
      await uow().transaction((s) => s.hooks.markAttemptFailed(b, 'registry UNREACHABLE: down', true, at(30), at(20)));
      const rows = [
        eventRow('i1', a, { projectId: 'h2', ruleId: 'cosign', tag: 'sha256-abc.sig' }),
        eventRow('i2', b, { projectId: 'h2', ruleId: 'cosign', tag: '' }),
        eventRow('s1', signing, { projectId: 'h2', ruleId: 'signer' }),
      ];
      await hooks().insertEvents(rows);
      const listed = (await hooks().list('h2', query('', 100))).items;
      expect(listed.map((e) => [e.status, e.importRule, e.signingRule])).to.deep.equal([
        ['IMPORTED', 'projects/h2/importRules/cosign', ''],
        ['FAILED', 'projects/h2/importRules/cosign', ''],
        ['PENDING', '', 'projects/h2/signingRules/signer'],
      ]);
      expect(listed[0]).to.deep.include({
        occurrence: 'projects/h2/occurrences/o1',
        occurrences: ['projects/h2/occurrences/o1', 'projects/h2/occurrences/o2'],
        reason: 'layer 1: bad',
        updateTime: at(20),
      });
      expect(listed[1]).to.deep.include({ reason: 'registry UNREACHABLE: down', attempts: 1, occurrences: [] });
      const statuses = async (filter: string) => (await hooks().list('h2', query(filter, 100))).items.map((e) => e.status);
      expect(await statuses('importRule="projects/h2/importRules/cosign"')).to.deep.equal(['IMPORTED', 'FAILED']);
      expect(await statuses('status=IMPORTED OR status=REJECTED')).to.deep.equal(['IMPORTED']);
      expect(await statuses('signingRule:*')).to.deep.equal(['PENDING']);
      // A new push of a manifest whose import failed for good tries again; an imported one stays as it is.
      expect(await hooks().enqueueImport({ ...imp, digest: 'sha256:i2', createTime: at(40) })).to.equal(b);
      expect(await hooks().enqueueImport({ ...imp, createTime: at(40) })).to.equal(a);
      expect(await statuses('')).to.deep.equal(['IMPORTED', 'PENDING', 'PENDING']);
      const again = await uow().transaction((s) => s.hooks.leaseImports(at(40), at(140), 5));
      expect(again.map((j) => [j.signingId, j.attempts])).to.deep.equal([[b, 0]]);
    });

    it('records many receipts and queues many signings in one call, each as the one-by-one methods would', async () => {
      const r = (projectId: string, eventId: string, source = 'generic') => ({ projectId, source, eventId });
      await hooks().receipt('h1', 'generic', 'm-old', at(0));
      const fresh = await hooks().receiptMany(
        [r('h1', 'm1'), r('h1', 'm-old'), r('h1', 'm1'), r('h2', 'm1'), r('h1', 'm1', 'harbor')],
        at(1),
      );
      expect(fresh).to.deep.equal([true, false, false, true, true]);
      expect(await hooks().receipt('h1', 'generic', 'm1', at(2))).to.equal(false);
      expect(await hooks().receiptMany([], at(2))).to.deep.equal([]);
      const err = await rejection(hooks().receiptMany([r('h1', 'm-new'), r('absent', 'm-new')], at(2)));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
      // All or nothing: the receipt listed beside the refused one was not recorded.
      expect(await hooks().receipt('h1', 'generic', 'm-new', at(3))).to.equal(true);

      const existing = await hooks().enqueue(job('sha256:many-old', { createTime: at(500) }));
      const failed = await hooks().enqueue(job('sha256:many-failed', { createTime: at(500) }));
      await uow().transaction((s) => s.hooks.markAttemptFailed(failed, 'NOT_FOUND: gone', true, at(501), at(501)));
      const ids = await hooks().enqueueMany([
        job('sha256:many-new', { createTime: at(502) }),
        job('sha256:many-old', { createTime: at(502) }),
        job('sha256:many-new', { createTime: at(502), actor: 'again' }),
        job('sha256:many-failed', { createTime: at(502), actor: 'pusher-2' }),
        job('sha256:many-new', { witnessId: 'w2', createTime: at(502) }),
      ]);
      expect(ids[1]).to.equal(existing);
      expect(ids[2]).to.equal(ids[0]);
      expect(ids[3]).to.equal(failed);
      expect(new Set(ids).size).to.equal(4);
      const claimed = await uow().transaction((s) => s.hooks.claimDueMany(at(502), 10, ids));
      expect(claimed.map((j) => [j.signingId, j.attempts, j.actor]).sort()).to.deep.equal(
        [
          [ids[0], 0, 'registry'],
          [existing, 0, 'registry'],
          [failed, 0, 'pusher-2'],
          [ids[4], 0, 'registry'],
        ].sort(),
      );
      expect(await hooks().enqueueMany([])).to.deep.equal([]);
    });
  });
}
