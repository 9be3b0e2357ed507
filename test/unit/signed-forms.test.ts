import { expect } from 'chai';
import { CompactSign } from 'jose';
import crypto from 'node:crypto';
import { parseImageReference } from '../../src/domain/image-reference';
import { envelopeSigners, pae, parseEnvelope } from '../../src/signing/dsse';
import { verifyOccurrenceForms, type SignedOccurrence } from '../../src/signing/occurrence-forms';
import { keyIdFor, signWith } from '../../src/signing/signature-algorithms';
import {
  type FormFailureReason,
  type FormOutcome,
  verifyDsseEnvelope,
  verifyJwtAttestation,
  verifySigstoreBundle,
  verifySimpleSigning,
} from '../../src/signing/signed-forms';
import type { VerificationKey } from '../../src/signing/verify-attestation';
import { fixtureBytes, fixtureJson, fixtureKey, keysOf, MANIFEST, type ManifestEntry } from '../support/supply-chain-fixtures';

const IMAGE = parseImageReference(`${MANIFEST.image.repository}@${MANIFEST.image.digest}`);
const SLSA_V1 = 'https://slsa.dev/provenance/v1';

/** The manifest's reasons, as attestd names them (a key's signature that does not verify is one thing to a verifier). */
const REASONS: Readonly<Record<string, FormFailureReason>> = {
  'wrong-key': 'BAD_SIGNATURE',
  'tampered-payload': 'BAD_SIGNATURE',
  'unsupported-payload-type': 'UNSUPPORTED_PAYLOAD_TYPE',
  'no-signatures': 'NO_SIGNATURES',
  'unknown-statement-type': 'UNKNOWN_STATEMENT_TYPE',
  'digest-mismatch': 'DIGEST_MISMATCH',
};

/** Runs one manifest entry through the verifier its kind calls for. */
async function verifyEntry(entry: ManifestEntry): Promise<FormOutcome[]> {
  const keys = keysOf(entry);
  const where = entry.file;
  switch (entry.kind) {
    case 'dsse-envelope':
      return [verifyDsseEnvelope(fixtureJson(entry.file), IMAGE, keys, {}, where)];
    case 'sigstore-bundle-v0.3':
      return [verifySigstoreBundle(fixtureJson(entry.file), IMAGE, keys, where)];
    case 'simple-signing-signature': {
      const signature = Buffer.from(fixtureBytes(entry.file).toString('utf8').trim(), 'base64');
      const image = parseImageReference(`${entry.dockerReference}@${entry.imageDigest}`);
      return [verifySimpleSigning(fixtureBytes(entry.payload!), [{ signature, keyId: keys[0]!.keyId }], image, keys, where)];
    }
    case 'jws-compact':
      return [await verifyJwtAttestation(fixtureBytes(entry.file).toString('utf8').trim(), IMAGE, keys, where)];
    case 'grafeas-occurrence': {
      const occurrence = { name: entry.file, ...(fixtureJson(entry.file) as object) } as SignedOccurrence;
      return verifyOccurrenceForms(occurrence, IMAGE, keys, { acceptRawEnvelope: true });
    }
    default:
      throw new Error(`no verifier for kind ${entry.kind}`);
  }
}

describe('signed forms, driven by the supply-chain fixtures manifest', () => {
  const judged = MANIFEST.entries.filter((e) => e.expect !== 'n/a');

  it('judges every verdict-bearing fixture', () => {
    expect(judged.length).to.be.greaterThan(25);
  });

  for (const entry of judged.filter((e) => e.expect === 'valid')) {
    it(`verifies ${entry.file} (${entry.kind})`, async () => {
      const outcomes = await verifyEntry(entry);
      const verified = outcomes.filter((o) => o.verified);
      expect(verified, JSON.stringify(outcomes)).to.have.length.greaterThan(0);
      const expectedKeys = keysOf(entry).map((k) => k.keyId);
      for (const o of verified) if (o.verified) expect(expectedKeys).to.include.members(o.keyIds);
      // A multi-signature envelope satisfies every key that signed it (a 2-of-2 threshold).
      if (Array.isArray(entry.verifyWith)) expect(verified[0]!.verified && verified[0]!.keyIds).to.have.members(expectedKeys);
    });
  }

  for (const entry of judged.filter((e) => e.expect === 'invalid')) {
    it(`refuses ${entry.file} (${entry.reason})`, async () => {
      const [outcome] = await verifyEntry(entry);
      if (entry.reason === 'predicate-type-mismatch') {
        // Validly signed and bound to the image, but typed v0.2: a requirement for SLSA v1 finds no statement.
        expect(outcome!.verified && outcome!.statement?.predicateType).to.equal('https://slsa.dev/provenance/v0.2');
        return;
      }
      expect(outcome!.verified, JSON.stringify(outcome)).to.equal(false);
      if (outcome !== undefined && !outcome.verified) {
        expect(outcome.reason).to.equal(REASONS[entry.reason!]);
        expect(outcome.message).to.include(entry.file);
      }
    });
  }

  for (const entry of judged.filter((e) => e.expect === 'valid-signature')) {
    it(`verifies the signature of ${entry.file} but refuses it as a statement`, () => {
      const envelope = parseEnvelope(fixtureJson(entry.file), entry.file);
      if ('reason' in envelope) throw new Error(envelope.message);
      expect(envelopeSigners(envelope, keysOf(entry))).to.have.length(1);
      const outcome = verifyDsseEnvelope(fixtureJson(entry.file), IMAGE, keysOf(entry), {}, entry.file);
      expect(outcome.verified === false && outcome.reason).to.equal('UNSUPPORTED_PAYLOAD_TYPE');
    });
  }
});

describe('DSSE details', () => {
  const key = fixtureKey('keys/ecdsa-p256.pub.pem');

  it('builds PAE with byte lengths, as the spec examples give it', () => {
    const examples = fixtureJson('dsse/pae-examples.json') as Array<{ payloadType: string; payload?: string; paeText?: string }>;
    for (const ex of examples.filter((e) => e.paeText !== undefined)) {
      expect(pae(ex.payloadType, Buffer.from(ex.payload!, 'utf8')).toString('utf8')).to.equal(ex.paeText);
    }
  });

  it('reads the statement, its predicate type and predicate from a verified envelope', () => {
    const outcome = verifyDsseEnvelope(fixtureJson('dsse/envelope-ecdsa-p256.json'), IMAGE, [key], {}, 'e');
    expect(outcome.verified && outcome.statement?.predicateType).to.equal(SLSA_V1);
    expect(outcome.verified && outcome.statement?.predicate).to.have.nested.property('runDetails.builder.id');
  });

  it('accepts unpadded standard and URL-safe base64', () => {
    const env = fixtureJson('dsse/envelope-ecdsa-p256.json') as { payload: string; signatures: Array<{ sig: string }> };
    const strip = (s: string): string => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const unpadded = { ...env, payload: strip(env.payload), signatures: env.signatures.map((s) => ({ ...s, sig: strip(s.sig) })) };
    expect(verifyDsseEnvelope(unpadded, IMAGE, [key], {}, 'e').verified).to.equal(true);
  });

  it('refuses base64 that does not decode and payloads that are not JSON, with reasons', () => {
    const env = fixtureJson('dsse/envelope-ecdsa-p256.json') as Record<string, unknown>;
    const bad = verifyDsseEnvelope({ ...env, payload: 'not base64!' }, IMAGE, [key], {}, 'e');
    expect(bad.verified === false && bad.reason).to.equal('MALFORMED_ENVELOPE');
    expect(verifyDsseEnvelope('x', IMAGE, [key], {}, 'e')).to.include({ verified: false, reason: 'MALFORMED_ENVELOPE' });
  });

  it('does not count a statement about another digest', () => {
    const other = parseImageReference(`${MANIFEST.image.repository}@sha256:${'ab'.repeat(32)}`);
    const outcome = verifyDsseEnvelope(fixtureJson('dsse/envelope-ecdsa-p256.json'), other, [key], {}, 'e');
    expect(outcome).to.include({ verified: false, reason: 'SUBJECT_MISMATCH' });
  });

  it('ignores disabled keys', () => {
    const outcome = verifyDsseEnvelope(fixtureJson('dsse/envelope-ecdsa-p256.json'), IMAGE, [{ ...key, enabled: false }], {}, 'e');
    expect(outcome).to.include({ verified: false, reason: 'BAD_SIGNATURE' });
  });

  it('a multi-signature envelope by two keys satisfies only the key a witness holds', () => {
    const outcome = verifyDsseEnvelope(fixtureJson('dsse/envelope-multisig-ecdsa-rsa.json'), IMAGE, [key], {}, 'e');
    expect(outcome.verified && outcome.keyIds).to.deep.equal([key.keyId]);
  });
});

describe('legacy raw-payload envelopes', () => {
  const key = fixtureKey('keys/ecdsa-p256.pub.pem');
  const chains = { name: 'chains', ...(fixtureJson('grafeas/chains-occurrence-attestation.json') as object) } as SignedOccurrence;

  it('count only for a witness created with acceptRawEnvelope', async () => {
    const refused = await verifyOccurrenceForms(chains, IMAGE, [key], {});
    expect(refused.some((o) => o.verified)).to.equal(false);
    expect(refused.map((o) => !o.verified && o.reason)).to.include('RAW_SIGNATURE_NOT_ACCEPTED');
    const accepted = await verifyOccurrenceForms(chains, IMAGE, [key], { acceptRawEnvelope: true });
    expect(accepted.filter((o) => o.verified).map((o) => o.form)).to.deep.equal(['dsse-raw']);
  });

  it('refuse an ATTESTATION occurrence whose serializedPayload differs from its envelope payload', async () => {
    const other = { ...chains, attestation: { ...chains.attestation, serializedPayload: Buffer.from('{}').toString('base64') } };
    const outcomes = await verifyOccurrenceForms(other, IMAGE, [key], { acceptRawEnvelope: true });
    expect(outcomes.some((o) => o.verified)).to.equal(false);
    expect(outcomes.map((o) => !o.verified && o.reason)).to.include('MALFORMED_ENVELOPE');
  });

  it('read Tekton Chains BUILD occurrences through the DSSE envelope inside the signature', async () => {
    const build = { name: 'b', ...(fixtureJson('grafeas/chains-occurrence-build.json') as object) } as SignedOccurrence;
    const outcomes = await verifyOccurrenceForms(build, IMAGE, [key], {});
    expect(outcomes.filter((o) => o.verified).map((o) => o.verified && o.statement?.predicateType)).to.deep.equal([SLSA_V1]);
  });
});

describe('signed forms made here with other keys', () => {
  const digest = `sha256:${'5e'.repeat(32)}`;
  const image = parseImageReference(`127.0.0.1:5000/team/app@${digest}`);
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: '127.0.0.1:5000/team/app', digest: { sha256: digest.slice(7) } }],
      predicateType: SLSA_V1,
      predicate: { runDetails: { builder: { id: 'https://ci.example/b' } } },
    }),
  );
  const TYPE = 'application/vnd.in-toto+json';
  const witnessKey = (publicKey: crypto.KeyObject, algorithm?: string): VerificationKey => ({
    keyId: keyIdFor(publicKey),
    publicKey,
    algorithm,
    enabled: true,
  });
  const envelopeBy = (sign: (data: Buffer) => Buffer, keyid = '', over = pae(TYPE, statement)): object => ({
    payloadType: TYPE,
    payload: statement.toString('base64'),
    signatures: [{ keyid, sig: sign(over).toString('base64') }],
  });

  const cases: Array<{ desc: string; pair: crypto.KeyPairKeyObjectResult; algorithm: string }> = [
    { desc: 'Ed25519', pair: crypto.generateKeyPairSync('ed25519'), algorithm: 'PURE_ED25519' },
    { desc: 'ECDSA P-384', pair: crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }), algorithm: 'ECDSA_P384_SHA384' },
    { desc: 'RSA-PSS 3072', pair: crypto.generateKeyPairSync('rsa', { modulusLength: 3072 }), algorithm: 'RSA_SIGN_PSS_3072_SHA256' },
  ];
  for (const { desc, pair, algorithm } of cases) {
    it(`verifies a DSSE envelope signed with ${desc}`, () => {
      const env = envelopeBy((data) => signWith(pair.privateKey, algorithm, data));
      const outcome = verifyDsseEnvelope(env, image, [witnessKey(pair.publicKey, algorithm)], {}, 'e');
      expect(outcome).to.include({ verified: true, form: 'dsse' });
    });
  }

  it('a keyid naming the trusted key proves nothing when another key signed', () => {
    const trusted = crypto.generateKeyPairSync('ed25519');
    const other = crypto.generateKeyPairSync('ed25519');
    const key = witnessKey(trusted.publicKey);
    const env = envelopeBy((data) => crypto.sign(null, data, other.privateKey), key.keyId);
    expect(verifyDsseEnvelope(env, image, [key], {}, 'e')).to.include({ verified: false, reason: 'BAD_SIGNATURE' });
  });

  it('refuses a raw-payload signature unless the witness accepts raw envelopes', () => {
    const pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const env = envelopeBy((data) => crypto.sign('sha256', data, pair.privateKey), '', statement);
    const key = witnessKey(pair.publicKey);
    expect(verifyDsseEnvelope(env, image, [key], {}, 'e')).to.include({ verified: false, reason: 'RAW_SIGNATURE_NOT_ACCEPTED' });
    expect(verifyDsseEnvelope(env, image, [key], { acceptRawEnvelope: true }, 'e')).to.include({ verified: true, form: 'dsse-raw' });
  });

  it('verifies a JWT (ES384) whose claims bind the image, and refuses one for another digest', async () => {
    const pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const claims = (d: string): Uint8Array =>
      new TextEncoder().encode(
        JSON.stringify({
          critical: {
            identity: { 'docker-reference': '127.0.0.1:5000/team/app' },
            image: { 'docker-manifest-digest': d },
            type: 'atomic container signature',
          },
        }),
      );
    const jwt = await new CompactSign(claims(digest)).setProtectedHeader({ alg: 'ES384', typ: 'JWT' }).sign(pair.privateKey);
    expect(await verifyJwtAttestation(jwt, image, [witnessKey(pair.publicKey)], 'j')).to.include({ verified: true, form: 'jwt' });
    const other = await new CompactSign(claims(`sha256:${'00'.repeat(32)}`)).setProtectedHeader({ alg: 'ES384' }).sign(pair.privateKey);
    expect(await verifyJwtAttestation(other, image, [witnessKey(pair.publicKey)], 'j')).to.include({
      verified: false,
      reason: 'DIGEST_MISMATCH',
    });
    expect(await verifyJwtAttestation('a.b', image, [witnessKey(pair.publicKey)], 'j')).to.include({
      verified: false,
      reason: 'MALFORMED_JWT',
    });
  });
});
