import { expect } from 'chai';
import { CompactSign } from 'jose';
import crypto from 'node:crypto';
import { pae } from '../../src/signing/dsse';
import type { VerdictReason, VerifyInput } from '../../src/verification/verdict';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { digest } from '../support/verification-world';

const REPO = 'registry.example.com/team/built';
const TYPE = 'application/vnd.in-toto+json';
const D = { dsse: digest('dsse'), chains: digest('chains'), tampered: digest('tampered'), other: digest('other'), jwt: digest('jwt') };

const input = (images: string[]): VerifyInput => ({ cluster: 'c1', namespace: 'forms', images, breakglass: false, source: 'verifyImages' });

const statementFor = (d: string): Buffer =>
  Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: REPO, digest: { sha256: d.slice('sha256:'.length) } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: { runDetails: { builder: { id: 'https://ci.example/builder' } } },
    }),
  );

/** Witness verification through :verifyImages with occurrences in the other signed forms, on the memory backend. */
describe('policy verification of DSSE and JWT attestations (memory backend)', () => {
  let s: MemoryServices;
  const signer = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const envelope = (payload: Buffer, over = pae(TYPE, payload)): object => ({
    payload: payload.toString('base64'),
    payloadType: TYPE,
    signatures: [{ keyid: '', sig: crypto.sign('sha256', over, signer.privateKey).toString('base64') }],
  });
  const occurrence = (uri: string, body: object) =>
    s.occurrences.create(s.admin, 'projects/p', { resourceUri: uri, noteName: 'projects/p/notes/ci', ...body });

  before(async () => {
    s = memoryServices();
    const ctx = s.admin;
    await s.projects.create(ctx, 'projects/p');
    const pem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await s.witnesses.create(ctx, 'projects/p', 'ci', { publicKeys: [{ pem, algorithm: 'ECDSA_P256_SHA256' }] });
    await s.clusters.create(ctx, 'projects/p', 'c1', {});
    await s.policies.create(ctx, 'projects/p', 'built', {
      cluster: 'c1',
      namespaces: ['forms'],
      enabled: true,
      witnesses: ['projects/p/witnesses/ci'],
    });
    await occurrence(`https://${REPO}@${D.dsse}`, { attestation: {}, envelope: envelope(statementFor(D.dsse)) });
    // Tekton Chains writes the resource URI without https://.
    await occurrence(`${REPO}@${D.chains}`, { attestation: {}, envelope: envelope(statementFor(D.chains)) });
    const tampered = envelope(statementFor(D.tampered)) as { payload: string };
    tampered.payload = statementFor(D.tampered).toString('base64').replace(/A/g, 'B');
    await occurrence(`https://${REPO}@${D.tampered}`, { attestation: {}, envelope: tampered });
    await occurrence(`https://${REPO}@${D.other}`, { attestation: {}, envelope: envelope(statementFor(D.dsse)) });
    const claims = {
      critical: { identity: { 'docker-reference': REPO }, image: { 'docker-manifest-digest': D.jwt }, type: 'atomic container signature' },
    };
    const jwt = await new CompactSign(Buffer.from(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .sign(signer.privateKey);
    await occurrence(`https://${REPO}@${D.jwt}`, { attestation: { jwts: [{ compactJwt: jwt }] } });
  });

  const cases: Array<{ desc: string; d: string; allowed: boolean; reason: VerdictReason; message: RegExp }> = [
    {
      desc: 'a DSSE envelope with an in-toto statement about the image',
      d: D.dsse,
      allowed: true,
      reason: 'ATTESTED',
      message: /attested by projects\/p\/witnesses\/ci/,
    },
    { desc: 'a resource URI without https://', d: D.chains, allowed: true, reason: 'ATTESTED', message: /attested by/ },
    { desc: 'a JWT whose claims bind the digest', d: D.jwt, allowed: true, reason: 'ATTESTED', message: /attested by/ },
    { desc: 'a tampered payload', d: D.tampered, allowed: false, reason: 'BAD_SIGNATURE', message: /no signature verifies over PAE/ },
    {
      desc: 'a statement about another digest',
      d: D.other,
      allowed: false,
      reason: 'DIGEST_MISMATCH',
      message: /has no subject with digest/,
    },
    { desc: 'nothing at all', d: digest('nothing'), allowed: false, reason: 'NOT_ATTESTED', message: /no attestation found/ },
  ];
  for (const c of cases) {
    it(c.desc, async () => {
      const out = await s.verification.verify(s.admin, 'projects/p', input([`${REPO}@${c.d}`]));
      const [r] = out.results;
      expect({ allowed: r!.allowed, reason: r!.reason }, r!.message).to.deep.equal({ allowed: c.allowed, reason: c.reason });
      expect(r!.message).to.match(c.message);
    });
  }
});
