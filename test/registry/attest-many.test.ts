import { expect } from 'chai';
import { parseImageReference } from '../../src/domain/image-reference';
import { digestOf, outboxHarness, PROJECT, WITNESS, type OutboxHarness } from './outbox-harness';

// Registry workers attest a batch of images in one transaction: the batch must behave exactly like the
// images attested one by one (one occurrence per witness and image, idempotent, all-or-nothing).
describe('attesting a batch of images', function () {
  this.timeout(60_000);
  let h: OutboxHarness;
  const witness = { projectId: PROJECT, witnessId: WITNESS };
  const image = (i: number) => parseImageReference(`127.0.0.1:5000/kritis-demo/app@${digestOf(i)}`);

  beforeEach(async () => {
    h = await outboxHarness();
  });
  afterEach(async () => h?.close());

  it('gives the same image twice in one batch one occurrence, and a later batch the same occurrences again', async () => {
    const first = await h.uow.transaction((s) =>
      h.attest.attestMany(
        s,
        [0, 1, 0, 2].map((i) => ({ ctx: h.ctx, witness, image: image(i) })),
      ),
    );
    expect(first.map((o) => o.name)[0]).to.equal(first[2]!.name);
    expect(new Set(first.map((o) => o.name)).size).to.equal(3);
    expect(first.map((o) => o.resourceUri)).to.deep.equal([0, 1, 0, 2].map((i) => `https://127.0.0.1:5000/kritis-demo/app@${digestOf(i)}`));
    expect(await h.occurrences()).to.equal(3);

    const again = await h.uow.transaction((s) =>
      h.attest.attestMany(
        s,
        [2, 3, 1].map((i) => ({ ctx: h.ctx, witness, image: image(i) })),
      ),
    );
    expect(again[0]!.name).to.equal(first[3]!.name);
    expect(again[2]!.name).to.equal(first[1]!.name);
    expect(await h.occurrences(), 'only image 3 is new').to.equal(4);
    // Each attest was audited once, as a change of its own (counted in one statement: the sequencer may be chaining).
    const audited = await h.knex.raw(
      `SELECT (SELECT count(*) FROM audit_pending WHERE project_id = ? AND method = 'Attest')
            + (SELECT count(*) FROM audit_events WHERE project_id = ? AND method = 'Attest') AS n`,
      [PROJECT, PROJECT],
    );
    expect(Number(audited.rows[0].n)).to.equal(4);
  });

  it('writes nothing when one image of the batch cannot be attested (the witness does not exist)', async () => {
    const items = [
      { ctx: h.ctx, witness, image: image(10) },
      { ctx: h.ctx, witness: { projectId: PROJECT, witnessId: 'nobody' }, image: image(11) },
    ];
    const failed = await h.uow
      .transaction((s) => h.attest.attestMany(s, items))
      .then(
        () => 'attested',
        (e: Error) => e.message,
      );
    expect(failed).to.match(/witness projects\/outbox\/witnesses\/nobody does not exist/);
    expect(await h.occurrences()).to.equal(0);
  });
});
