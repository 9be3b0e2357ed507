import crypto from 'node:crypto';
import { expect } from 'chai';
import type { ErrorCode } from '../../src/domain/api-error';
import { listQuery } from '../../src/domain/list-query';
import type { JsonObject, Occurrence } from '../../src/domain/message-types';
import type { RequestContext } from '../../src/domain/request-context';
import type { Stores } from '../../src/domain/stores/unit-of-work';
import { type AttestService, type AttestItem } from '../../src/witnesses/attest-service';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { outcome } from '../support/outcome';

/** Attests as the real service does, but fails the calls it is told to: before signing, or after writing (then rolled back). */
class FlakyAttest {
  calls = 0;
  failures: ('before' | 'after')[] = [];

  constructor(private readonly real: AttestService) {}

  async attestMany(stores: Stores, items: readonly AttestItem[]): Promise<Occurrence[]> {
    this.calls += 1;
    const failure = this.failures.shift();
    if (failure === 'before') throw new Error('simulated transient failure');
    const made = await this.real.attestMany(stores, items);
    if (failure === 'after') throw new Error('simulated crash after signing, before commit');
    return made;
  }
}

const REGISTRY = '127.0.0.1:5000';
const digestOf = (label: string): string => `sha256:${crypto.createHash('sha256').update(label).digest('hex')}`;
const push = (id: string, repository: string, digest: string): JsonObject => ({
  events: [
    {
      id,
      action: 'push',
      target: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        repository,
        url: `http://${REGISTRY}/v2/${repository}/manifests/${digest}`,
      },
      request: { host: REGISTRY, method: 'PUT' },
    },
  ],
});

/** Registry signing over the memory backend: hooks queue, the worker claims and signs, retries, fails for good, never twice. */
describe('hook signing (memory backend)', () => {
  let s: MemoryServices;
  let attest: FlakyAttest;
  let pusher: RequestContext;
  let n = 0;

  beforeEach(async () => {
    s = memoryServices({ attest: (real) => (attest = new FlakyAttest(real)) });
    pusher = s.caller({ p: ['attestor'] }, 'registry-notifier');
    await s.projects.create(s.admin, 'projects/p');
    await s.keys.create(s.admin, 'projects/p', 'k', { keySpec: 'EC_P256' });
    await s.witnesses.create(s.admin, 'projects/p', 'w', { key: 'projects/p/keys/k' });
    await s.signingRules.create(s.admin, 'projects/p', 'demo', {
      registry: REGISTRY,
      namespace: 'ns',
      witness: 'projects/p/witnesses/w',
      enabled: true,
    });
  });

  /** Posts a push of ns/app@digest (a new event id each time unless given). */
  const receive = (digest: string, eventId = `e${++n}`, repository = 'ns/app') =>
    s.hooks.receive(pusher, 'distribution', 'projects/p', push(eventId, repository, digest), '');
  const events = async (): Promise<JsonObject[]> => (await s.hooks.list(s.admin, 'projects/p', listQuery({ pageSize: 1000 }))).items;
  const attestations = async (digest: string, repository = 'ns/app'): Promise<Occurrence[]> =>
    (await s.occurrences.list(s.admin, 'projects/p', listQuery({ filter: `resourceUri="https://${REGISTRY}/${repository}@${digest}"` })))
      .items;

  it('signs a pushed manifest once, as the pusher, and shows it SIGNED', async () => {
    const d = digestOf('once');
    const received = await receive(d);
    expect(received).to.deep.include({ received: 1, accepted: 1, ignored: 0, duplicates: 0 });
    expect(received.events[0]).to.deep.include({
      status: 'PENDING',
      witness: 'projects/p/witnesses/w',
      signingRule: 'projects/p/signingRules/demo',
    });
    const worker = s.worker();
    expect(await worker.runOnce()).to.equal(true);
    expect(await worker.runOnce()).to.equal(false);
    const [occurrence] = await attestations(d);
    expect(occurrence).to.deep.include({ kind: 'ATTESTATION', noteName: 'projects/p/notes/w' });
    expect((await events())[0]).to.deep.include({ status: 'SIGNED', occurrence: occurrence!.name, attempts: 0 });
    // The attestation verifies under a policy of the witness.
    await s.clusters.create(s.admin, 'projects/p', 'c', {});
    await s.policies.create(s.admin, 'projects/p', 'pol', {
      witnesses: ['projects/p/witnesses/w'],
      cluster: 'c',
      namespaces: ['default'],
      enabled: true,
    });
    const verdict = await s.verification.verify(s.admin, 'projects/p', {
      cluster: 'c',
      namespace: 'default',
      images: [`${REGISTRY}/ns/app@${d}`],
      breakglass: false,
      source: 'verifyImages',
    });
    expect(verdict.results[0]!.reason).to.equal('ATTESTED');
    await s.sequencer.flush('p');
    const audit = (await s.audit.list(s.admin, 'projects/p', listQuery({ filter: 'method="Attest"' }))).items;
    expect(audit.map((e) => [e.resource, e.actor])).to.deep.equal([[occurrence!.name, 'registry-notifier']]);
  });

  it('ignores a redelivered event and signs a repeated push once', async () => {
    const d = digestOf('again');
    await receive(d, 'same');
    expect(await receive(d, 'same')).to.deep.include({ received: 1, accepted: 0, duplicates: 1 });
    await receive(d);
    const worker = s.worker();
    while (await worker.runOnce());
    expect(await attestations(d)).to.have.length(1);
    expect((await events()).map((e) => e.status)).to.deep.equal(['SIGNED', 'SIGNED']);
    // A push after the signing finds it done.
    await receive(d);
    expect(await worker.runOnce()).to.equal(false);
    expect(await attestations(d)).to.have.length(1);
  });

  it('ignores what no enabled rule covers, saying why', async () => {
    const out = await receive(digestOf('other'), undefined, 'elsewhere/app');
    expect(out).to.deep.include({ accepted: 0, ignored: 1 });
    expect(out.events[0]).to.deep.include({ status: 'IGNORED', reason: `no enabled signing rule covers ${REGISTRY}/elsewhere/app` });
    expect(await s.worker().runOnce()).to.equal(false);
  });

  const retries: {
    desc: string;
    failures: ('before' | 'after')[];
    advanceMs: number[];
    want: { status: string; attempts: number; signed: number };
  }[] = [
    {
      desc: 'a transient failure is retried after the backoff',
      failures: ['before'],
      advanceMs: [1000],
      want: { status: 'SIGNED', attempts: 1, signed: 1 },
    },
    {
      desc: 'a crash after signing rolls back and signs once on retry',
      failures: ['after'],
      advanceMs: [1000],
      want: { status: 'SIGNED', attempts: 1, signed: 1 },
    },
    {
      desc: 'the backoff doubles per attempt',
      failures: ['before', 'before'],
      advanceMs: [1000, 2000],
      want: { status: 'SIGNED', attempts: 2, signed: 1 },
    },
    {
      desc: 'too many failures fail it for good',
      failures: ['before', 'after', 'before'],
      advanceMs: [1000, 2000, 4000],
      want: { status: 'FAILED', attempts: 3, signed: 0 },
    },
  ];
  for (const c of retries) {
    it(c.desc, async () => {
      const d = digestOf(c.desc);
      await receive(d);
      attest.failures = [...c.failures];
      const worker = s.worker({ maxAttempts: 3 });
      expect(await worker.runOnce()).to.equal(true);
      for (const ms of c.advanceMs) {
        // Not due before its backoff ends.
        s.clock.advance(ms - 1);
        expect(await worker.runOnce()).to.equal(false);
        s.clock.advance(1);
        await worker.runOnce();
      }
      expect(await worker.runOnce()).to.equal(false);
      const [event] = await events();
      expect(event).to.deep.include({ status: c.want.status, attempts: c.want.attempts });
      if (c.want.status === 'FAILED') expect(event!.reason).to.equal('internal error while signing (see the attestd log)');
      expect(await attestations(d)).to.have.length(c.want.signed);
    });
  }

  it('fails at once, with the reason, when the witness cannot sign; a new push after the fix signs', async () => {
    const d = digestOf('disabled');
    await s.keys.setEnabled(s.admin, 'projects/p/keys/k', false);
    await receive(d);
    const worker = s.worker();
    expect(await worker.runOnce()).to.equal(true);
    const [failed] = await events();
    expect(failed).to.deep.include({ status: 'FAILED', attempts: 1 });
    expect(String(failed!.reason)).to.match(/^FAILED_PRECONDITION: key projects\/p\/keys\/k is DISABLED and cannot sign/);
    expect(await worker.runOnce()).to.equal(false);
    await s.keys.setEnabled(s.admin, 'projects/p/keys/k', true);
    await receive(d);
    expect(await worker.runOnce()).to.equal(true);
    expect((await events()).map((e) => e.status)).to.deep.equal(['SIGNED', 'SIGNED']);
    expect(await attestations(d)).to.have.length(1);
  });

  it('signs a batch job by job when one of its jobs fails, so that only that one fails', async () => {
    await s.keys.create(s.admin, 'projects/p', 'k2', { keySpec: 'EC_P256' });
    await s.witnesses.create(s.admin, 'projects/p', 'w2', { key: 'projects/p/keys/k2' });
    await s.signingRules.create(s.admin, 'projects/p', 'second', {
      registry: REGISTRY,
      namespace: 'ns',
      witness: 'projects/p/witnesses/w2',
      enabled: true,
    });
    const d = digestOf('batch');
    expect((await receive(d)).accepted).to.equal(2);
    await receive(digestOf('batch-2'));
    // The second witness goes away before its signings run: they fail for good (NOT_FOUND), the others sign.
    await s.signingRules.delete(s.admin, 'projects/p/signingRules/second');
    await s.witnesses.delete(s.admin, 'projects/p/witnesses/w2');
    expect(await s.worker().runOnce()).to.equal(true);
    const byWitness = (await events()).map((e) => [e.witness, e.status]);
    expect(byWitness).to.deep.equal([
      ['projects/p/witnesses/w', 'SIGNED'],
      ['projects/p/witnesses/w2', 'FAILED'],
      ['projects/p/witnesses/w', 'SIGNED'],
      ['projects/p/witnesses/w2', 'FAILED'],
    ]);
    expect(attest.calls).to.equal(5);
  });

  it('reuses an attestation made with :attest, and :attest reuses the hook’s', async () => {
    const d = digestOf('reuse');
    const made = await s.attest.attest(s.admin, 'projects/p/witnesses/w', `${REGISTRY}/ns/app:v1@${d}`);
    await receive(d);
    await s.worker().runOnce();
    expect((await events())[0]).to.deep.include({ status: 'SIGNED', occurrence: made.name });
    const d2 = digestOf('reuse-2');
    await receive(d2);
    await s.worker().runOnce();
    const [signed] = await attestations(d2);
    expect((await s.attest.attest(s.admin, 'projects/p/witnesses/w', `${REGISTRY}/ns/app@${d2}`)).name).to.equal(signed!.name);
    expect(await attestations(d2)).to.have.length(1);
  });

  describe(':attest', () => {
    const image = `${REGISTRY}/ns/app@${digestOf('direct')}`;
    const cases: { desc: string; ctx?: () => RequestContext; witness?: string; image?: string; wantCode: 'OK' | ErrorCode }[] = [
      { desc: 'an image by digest', wantCode: 'OK' },
      { desc: 'an image by tag', image: `${REGISTRY}/ns/app:v1`, wantCode: 'INVALID_ARGUMENT' },
      { desc: 'a witness that does not exist', witness: 'projects/p/witnesses/ghost', wantCode: 'NOT_FOUND' },
      { desc: 'as a viewer', ctx: () => s.caller({ p: ['viewer'] }), wantCode: 'PERMISSION_DENIED' },
      { desc: 'as an attestor', ctx: () => pusher, wantCode: 'OK' },
    ];
    for (const c of cases) {
      it(c.desc, async () => {
        expect(await outcome(s.attest.attest(c.ctx?.() ?? s.admin, c.witness ?? 'projects/p/witnesses/w', c.image ?? image))).to.equal(
          c.wantCode,
        );
      });
    }

    it('refuses a witness with only external keys', async () => {
      const pem = crypto
        .generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        .publicKey.export({ format: 'pem', type: 'spki' })
        .toString();
      await s.witnesses.create(s.admin, 'projects/p', 'outside', { publicKeys: [{ pem, algorithm: 'EC_SIGN_P256_SHA256' }] });
      expect(await outcome(s.attest.attest(s.admin, 'projects/p/witnesses/outside', image))).to.equal('FAILED_PRECONDITION');
    });

    it('makes one occurrence for the same image twice in one batch', async () => {
      const ref = { registry: '127.0.0.1:5000', repository: 'ns/app', digest: digestOf('twice'), written: 'x' };
      const item = { ctx: s.admin, witness: { projectId: 'p', witnessId: 'w' }, image: ref };
      const made = await s.uow.transaction((stores) => s.attest.attestMany(stores, [item, item]));
      expect(made[0]!.name).to.equal(made[1]!.name);
      expect(await attestations(ref.digest)).to.have.length(1);
    });
  });
});
