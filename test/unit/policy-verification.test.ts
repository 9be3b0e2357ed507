import { expect } from 'chai';
import type { ErrorCode } from '../../src/domain/api-error';
import { listQuery } from '../../src/domain/list-query';
import type { JsonObject } from '../../src/domain/message-types';
import type { RequestContext } from '../../src/domain/request-context';
import type { VerdictReason, VerifyInput } from '../../src/verification/verdict';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { outcome } from '../support/outcome';
import { D, REPO, verificationWorld } from '../support/verification-world';

const input = (namespace: string, images: string[], breakglass = false): VerifyInput => ({
  cluster: 'c1',
  namespace,
  images,
  breakglass,
  source: 'verifyImages',
});

/** Policy evaluation over the memory backend: verdicts, k-of-n, allowlists, dry run, break-glass, tags and digests. */
describe('policy verification (memory backend)', () => {
  let s: MemoryServices;
  before(async () => {
    s = memoryServices();
    await verificationWorld(s);
  });

  const cases: {
    desc: string;
    namespace: string;
    image: string;
    breakglass?: boolean;
    allowed: boolean;
    reason: VerdictReason;
    message?: RegExp;
  }[] = [
    {
      desc: 'attested by the policy’s witness',
      namespace: 'one',
      image: `${REPO}@${D.w1}`,
      allowed: true,
      reason: 'ATTESTED',
      message: /attested by projects\/p\/witnesses\/w1/,
    },
    { desc: 'not attested', namespace: 'one', image: `${REPO}@${D.none}`, allowed: false, reason: 'NOT_ATTESTED' },
    {
      desc: 'by tag',
      namespace: 'one',
      image: `${REPO}:1.0`,
      allowed: false,
      reason: 'TAG_REFERENCE',
      message: /admits images by digest only/,
    },
    { desc: 'by tag and digest: the digest decides', namespace: 'one', image: `${REPO}:1.0@${D.w1}`, allowed: true, reason: 'ATTESTED' },
    { desc: 'not an image reference', namespace: 'one', image: 'UPPER/Case:@@', allowed: false, reason: 'INVALID_REFERENCE' },
    {
      desc: 'a Docker Hub short name attested under its full name',
      namespace: 'one',
      image: `alpine@${D.hub}`,
      allowed: true,
      reason: 'ATTESTED',
    },
    {
      desc: 'another registry spelling of the same image',
      namespace: 'one',
      image: `index.docker.io/library/alpine@${D.hub}`,
      allowed: true,
      reason: 'ATTESTED',
    },
    {
      desc: 'the same digest in another repository',
      namespace: 'one',
      image: `registry.example.com/team/other@${D.w1}`,
      allowed: false,
      reason: 'NOT_ATTESTED',
    },
    { desc: 'a signature that does not verify', namespace: 'one', image: `${REPO}@${D.forged}`, allowed: false, reason: 'BAD_SIGNATURE' },
    {
      desc: 'a good signature naming another repository',
      namespace: 'one',
      image: `${REPO}@${D.moved}`,
      allowed: false,
      reason: 'IDENTITY_MISMATCH',
    },
    {
      desc: 'signed by a key disabled since',
      namespace: 'disabled-key',
      image: `${REPO}@${D.disabled}`,
      allowed: false,
      reason: 'DISABLED_KEY',
    },
    { desc: 'all of two witnesses, both attest', namespace: 'all-of-two', image: `${REPO}@${D.both}`, allowed: true, reason: 'ATTESTED' },
    {
      desc: 'all of two witnesses, one attests',
      namespace: 'all-of-two',
      image: `${REPO}@${D.w1}`,
      allowed: false,
      reason: 'NOT_ENOUGH_WITNESSES',
      message: /attested by 1 of the 2 witnesses/,
    },
    { desc: 'one of two witnesses, one attests', namespace: 'one-of-two', image: `${REPO}@${D.w1}`, allowed: true, reason: 'ATTESTED' },
    {
      desc: 'one of two witnesses, none attests',
      namespace: 'one-of-two',
      image: `${REPO}@${D.none}`,
      allowed: false,
      reason: 'NOT_ATTESTED',
    },
    { desc: 'two policies, both satisfied', namespace: 'two-policies', image: `${REPO}@${D.both}`, allowed: true, reason: 'ATTESTED' },
    {
      desc: 'two policies, one fails',
      namespace: 'two-policies',
      image: `${REPO}@${D.w1}`,
      allowed: false,
      reason: 'NOT_ATTESTED',
      message: /witnesses\/w2/,
    },
    {
      desc: 'a failing dry-run policy only warns',
      namespace: 'dry',
      image: `${REPO}@${D.none}`,
      allowed: true,
      reason: 'DRY_RUN',
      message: /would be denied by dry-run policy projects\/p\/policies\/dry/,
    },
    {
      desc: 'break-glass where the policy permits it',
      namespace: 'glass',
      image: `${REPO}@${D.none}`,
      breakglass: true,
      allowed: true,
      reason: 'BREAKGLASS',
    },
    { desc: 'break-glass not asked for', namespace: 'glass', image: `${REPO}@${D.none}`, allowed: false, reason: 'NOT_ATTESTED' },
    {
      desc: 'break-glass where the policy does not permit it',
      namespace: 'one',
      image: `${REPO}@${D.none}`,
      breakglass: true,
      allowed: false,
      reason: 'NOT_ATTESTED',
      message: /break-glass is not permitted by projects\/p\/policies\/one/,
    },
    {
      desc: 'allowlisted by a segment pattern, even by tag',
      namespace: 'allow',
      image: 'registry.example.com/trusted/tool:2',
      allowed: true,
      reason: 'ALLOWLISTED',
    },
    {
      desc: 'allowlisted Docker Hub name in its short form',
      namespace: 'allow',
      image: 'busybox:1.36',
      allowed: true,
      reason: 'ALLOWLISTED',
    },
    {
      desc: 'a pattern’s * stays within one segment',
      namespace: 'allow',
      image: `registry.example.com/trusted/deep/tool@${D.none}`,
      allowed: false,
      reason: 'NOT_ATTESTED',
    },
    { desc: 'a disabled policy does not apply', namespace: 'off', image: `${REPO}@${D.none}`, allowed: true, reason: 'NO_POLICY' },
    {
      desc: 'a policy of another cluster does not apply',
      namespace: 'elsewhere',
      image: `${REPO}@${D.none}`,
      allowed: true,
      reason: 'NO_POLICY',
    },
    { desc: 'no policy covers the namespace', namespace: 'free', image: `${REPO}:latest`, allowed: true, reason: 'NO_POLICY' },
  ];
  for (const c of cases) {
    it(c.desc, async () => {
      const out = await s.verification.verify(s.admin, 'projects/p', input(c.namespace, [c.image], c.breakglass));
      const [result] = out.results;
      expect({ allowed: result!.allowed, reason: result!.reason }, result!.message).to.deep.equal({ allowed: c.allowed, reason: c.reason });
      expect(result!.image).to.equal(c.image);
      expect(out.allowed).to.equal(c.allowed);
      if (c.message) expect(result!.message).to.match(c.message);
    });
  }

  it('answers every image of a call in request order, and denies the call when one is denied', async () => {
    const images = [`${REPO}@${D.w1}`, `${REPO}@${D.none}`, `${REPO}@${D.w1}`, 'registry.example.com/trusted/x:1'];
    const out = await s.verification.verify(s.admin, 'projects/p', input('one', images));
    expect(out.results.map((r) => [r.image, r.reason])).to.deep.equal([
      [images[0], 'ATTESTED'],
      [images[1], 'NOT_ATTESTED'],
      [images[2], 'ATTESTED'],
      [images[3], 'TAG_REFERENCE'],
    ]);
    expect(out.allowed).to.equal(false);
    expect(out.results[0]!.occurrences).to.have.length(1);
    expect(out.results[0]!.policies).to.deep.equal(['projects/p/policies/one']);
  });

  it('records each call as a decision with its verdicts', async () => {
    const out = await s.verification.verify(s.caller({ p: ['admission'] }, 'webhook'), 'projects/p', {
      ...input('one', [`${REPO}@${D.w1}`]),
      source: 'admission',
      review: { uid: 'u1', kind: 'Pod' },
    });
    await s.decisionRecorder.flush();
    const page = await s.decisions.list(s.admin, 'projects/p', listQuery({ filter: 'kind="Pod" AND actor="webhook"' }));
    expect(page.items.map((d) => d.name)).to.deep.equal([out.decision]);
    expect(page.items[0]).to.deep.include({ allowed: true, cluster: 'c1', namespace: 'one', source: 'admission' });
    expect((page.items[0]!.results as JsonObject[]).map((r) => r.reason)).to.deep.equal(['ATTESTED']);
  });

  const refusals: { desc: string; ctx?: () => RequestContext; parent?: string; request: Partial<VerifyInput>; wantCode: ErrorCode }[] = [
    { desc: 'no images', request: { images: [] }, wantCode: 'INVALID_ARGUMENT' },
    {
      desc: 'more than 200 images',
      request: { images: Array.from({ length: 201 }, () => `${REPO}@${D.w1}`) },
      wantCode: 'INVALID_ARGUMENT',
    },
    { desc: 'a malformed cluster', request: { cluster: 'C 1' }, wantCode: 'INVALID_ARGUMENT' },
    { desc: 'a malformed namespace', request: { namespace: 'Not_A_Namespace' }, wantCode: 'INVALID_ARGUMENT' },
    { desc: 'a malformed parent', parent: 'p', request: {}, wantCode: 'INVALID_ARGUMENT' },
    { desc: 'a viewer', ctx: () => s.caller({ p: ['viewer'] }), request: {}, wantCode: 'PERMISSION_DENIED' },
    {
      desc: 'an admission token of another project',
      ctx: () => s.caller({ q: ['admission'] }),
      request: {},
      wantCode: 'PERMISSION_DENIED',
    },
    {
      desc: 'no token',
      ctx: () => ({ requestId: 'r', principal: undefined, transport: 'rest' }),
      request: {},
      wantCode: 'UNAUTHENTICATED',
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.desc}`, async () => {
      const call = s.verification.verify(c.ctx?.() ?? s.admin, c.parent ?? 'projects/p', {
        ...input('one', [`${REPO}@${D.w1}`]),
        ...c.request,
      });
      expect(await outcome(call)).to.equal(c.wantCode);
    });
  }

  it('applies a change to the very next call, with verdicts cached', async () => {
    const cached = memoryServices({ verdictCache: true });
    await verificationWorld(cached);
    const image = `${REPO}@${D.none}`;
    const verdict = async () => (await cached.verification.verify(cached.admin, 'projects/p', input('one', [image]))).results[0]!.reason;
    expect(await verdict()).to.equal('NOT_ATTESTED');
    await cached.attest.attest(cached.admin, 'projects/p/witnesses/w1', image);
    expect(await verdict()).to.equal('ATTESTED');
    await cached.policies.update(cached.admin, 'projects/p/policies/one', { enabled: false }, ['enabled']);
    expect(await verdict()).to.equal('NO_POLICY');
    await cached.policies.update(cached.admin, 'projects/p/policies/one', { enabled: true }, ['enabled']);
    await cached.keys.setEnabled(cached.admin, 'projects/p/keys/k1', false);
    expect(await verdict()).to.equal('DISABLED_KEY');
  });
});
