import { expect } from 'chai';
import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { silentLogger } from '../../src/logger';
import { HookRetention } from '../../src/registry/hook-retention';
import type { HookEventRow } from '../../src/domain/stores/hook-store';
import { migrateLatest, openDatabase } from '../../src/store/database';
import { PageTokens } from '../../src/store/page-token';
import { PostgresUnitOfWork } from '../../src/store/postgres-unit-of-work';
import { defaultBackend } from '../support/test-database';

const OLD = '2026-01-01T00:00:00.000Z';

// Ignored registry events (pulls, blobs) and event-id receipts are forgotten after the retention;
// events that queued a signing stay.
describe('hook retention', function () {
  this.timeout(60000);
  let knex: Knex;
  let uow: PostgresUnitOfWork;

  before(async () => {
    knex = openDatabase({ url: await defaultBackend().createDatabase(), poolMax: 2 });
    await migrateLatest(knex);
    uow = new PostgresUnitOfWork(knex, new PageTokens(Buffer.alloc(32, 1)));
    await uow.stores.projects.insert({ projectId: 'p', createTime: OLD });
  });
  after(async () => knex?.destroy());

  const event = (signingId: string | undefined, receiveTime: string): HookEventRow => ({
    projectId: 'p',
    hookEventId: uuidv7(),
    source: 'distribution',
    eventId: uuidv7(),
    action: signingId ? 'push' : 'pull',
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    image: '127.0.0.1:5000/ns/app@sha256:' + 'b'.repeat(64),
    tag: '',
    ruleId: signingId ? 'r' : '',
    witnessId: signingId ? 'w' : '',
    signingId,
    reason: signingId ? '' : 'pulls are not signed',
    receiveTime,
  });

  it('deletes old ignored events and receipts, keeps signing history and recent rows', async () => {
    const now = new Date().toISOString();
    const signingId = await uow.stores.hooks.enqueue({
      projectId: 'p',
      witnessId: 'w',
      registry: '127.0.0.1:5000',
      repository: 'ns/app',
      digest: 'sha256:' + 'b'.repeat(64),
      actor: 'registry',
      createTime: OLD,
    });
    await uow.stores.hooks.insertEvents([event(undefined, OLD), event(signingId, OLD), event(undefined, now)]);
    await uow.stores.hooks.receipt('p', 'distribution', 'old-event', OLD);
    await uow.stores.hooks.receipt('p', 'distribution', 'new-event', now);

    const deleted = await new HookRetention(uow, { now: () => now }, silentLogger(), 7).runOnce();
    expect(deleted).to.equal(2);
    const events = await knex('hook_events').select('action', 'signing_id').orderBy('receive_time');
    expect(events.map((e) => e.action)).to.deep.equal(['push', 'pull']);
    expect((await knex('hook_receipts').select('event_id')).map((r) => r.event_id)).to.deep.equal(['new-event']);
    // A redelivery of a forgotten event id is accepted as new: receipts are kept for the retention only.
    expect(await uow.stores.hooks.receipt('p', 'distribution', 'old-event', now)).to.equal(true);
  });
});
