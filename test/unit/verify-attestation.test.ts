import { expect } from 'chai';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { ApiError } from '../../src/domain/api-error';
import { parseImageReference } from '../../src/domain/image-reference';
import { keyIdFor, signWith, verifySignature } from '../../src/signing/signature-algorithms';
import { buildPayload } from '../../src/signing/simple-signing';
import {
  type CandidateOccurrence,
  type VerificationFailureReason,
  type VerificationKey,
  type VerificationResult,
  verifyAttestation,
} from '../../src/signing/verify-attestation';

// Repository and digest from /work/shared/fixtures/registry (a real docker-registry 2.8 push).
const REPO = '127.0.0.1:5000/kritis-demo/alpine';
const D = 'sha256:91a23e497e22785074aa893b0bd052f46354d2c211bed7180247c639f186c51c';
const OTHER_D = `sha256:${'ab'.repeat(32)}`;
const IMAGE = parseImageReference(`${REPO}@${D}`);
const URI = `https://${REPO}@${D}`;

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaOther = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });

const KEYS: VerificationKey[] = [
  { keyId: 'projects/p/keys/rsa/versions/1', publicKey: rsa.publicKey, algorithm: 'RSA_SIGN_PSS_2048_SHA256', enabled: true },
  { keyId: 'projects/p/keys/other/versions/1', publicKey: rsaOther.publicKey, algorithm: 'RSA_SIGN_PSS_2048_SHA256', enabled: true },
  { keyId: 'projects/p/keys/ec256/versions/1', publicKey: p256.publicKey, algorithm: 'EC_SIGN_P256_SHA256', enabled: true },
  { keyId: keyIdFor(p384.publicKey), publicKey: p384.publicKey, algorithm: 'ECDSA_P384_SHA384', enabled: true },
  { keyId: 'projects/p/keys/noalg/versions/1', publicKey: rsa.publicKey, enabled: true },
  { keyId: 'projects/p/keys/off/versions/1', publicKey: rsa.publicKey, algorithm: 'RSA_SIGN_PSS_2048_SHA256', enabled: false },
];

const payloadFor = (repository: string, digest: string): Buffer =>
  buildPayload({ repository, digest, creator: 'test', timestamp: 1700000000 });
const PAYLOAD = payloadFor(REPO, D);

function occurrence(
  payload: Buffer | string,
  signatures: Array<{ signature?: Buffer | string; publicKeyId?: string }>,
  uri = URI,
): CandidateOccurrence {
  const b64 = (v: Buffer | string | undefined): string | undefined => (Buffer.isBuffer(v) ? v.toString('base64') : v);
  return {
    name: 'projects/p/occurrences/o1',
    resourceUri: uri,
    attestation: {
      serializedPayload: b64(payload),
      signatures: signatures.map((s) => ({ signature: b64(s.signature), publicKeyId: s.publicKeyId })),
    },
  };
}

const pss32 = (data: Buffer, key = rsa.privateKey): Buffer => signWith(key, 'RSA_SIGN_PSS_2048_SHA256', data);
const flip = (b: Buffer, at: number): Buffer => {
  const copy = Buffer.from(b);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};
const verify = (occurrences: CandidateOccurrence[], image = IMAGE, keys = KEYS): VerificationResult =>
  verifyAttestation({ image, keys, occurrences });

describe('verifyAttestation', () => {
  const good: Array<{ desc: string; occ: () => CandidateOccurrence; keyId: string }> = [
    {
      desc: 'RSA-PSS, 32-byte salt',
      occ: () => occurrence(PAYLOAD, [{ signature: pss32(PAYLOAD), publicKeyId: KEYS[0]!.keyId }]),
      keyId: KEYS[0]!.keyId,
    },
    {
      desc: "RSA-PSS, node's maximum salt (any salt verifies)",
      occ: () =>
        occurrence(PAYLOAD, [
          {
            signature: crypto.sign('sha256', PAYLOAD, { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }),
            publicKeyId: KEYS[0]!.keyId,
          },
        ]),
      keyId: KEYS[0]!.keyId,
    },
    {
      desc: 'RSA PKCS#1 v1.5 under a PSS-declared key',
      occ: () =>
        occurrence(PAYLOAD, [{ signature: signWith(rsa.privateKey, 'RSA_SIGN_PKCS1_2048_SHA256', PAYLOAD), publicKeyId: KEYS[0]!.keyId }]),
      keyId: KEYS[0]!.keyId,
    },
    {
      desc: 'RSA-PSS SHA-512 with no declared algorithm',
      occ: () =>
        occurrence(PAYLOAD, [
          {
            signature: crypto.sign('sha512', PAYLOAD, {
              key: rsa.privateKey,
              padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
              saltLength: 64,
            }),
            publicKeyId: KEYS[4]!.keyId,
          },
        ]),
      keyId: KEYS[4]!.keyId,
    },
    {
      desc: 'ECDSA P-256 (DER)',
      occ: () =>
        occurrence(PAYLOAD, [{ signature: signWith(p256.privateKey, 'EC_SIGN_P256_SHA256', PAYLOAD), publicKeyId: KEYS[2]!.keyId }]),
      keyId: KEYS[2]!.keyId,
    },
    {
      desc: 'ECDSA P-256 (raw r||s)',
      occ: () =>
        occurrence(PAYLOAD, [
          { signature: crypto.sign('sha256', PAYLOAD, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' }), publicKeyId: KEYS[2]!.keyId },
        ]),
      keyId: KEYS[2]!.keyId,
    },
    {
      desc: 'ECDSA P-384 under a PKIX key id',
      occ: () => occurrence(PAYLOAD, [{ signature: signWith(p384.privateKey, 'ECDSA_P384_SHA384', PAYLOAD), publicKeyId: KEYS[3]!.keyId }]),
      keyId: KEYS[3]!.keyId,
    },
    {
      desc: 'a bad signature next to a good one',
      occ: () =>
        occurrence(PAYLOAD, [
          { signature: Buffer.alloc(256), publicKeyId: KEYS[0]!.keyId },
          { signature: pss32(PAYLOAD, rsaOther.privateKey), publicKeyId: KEYS[1]!.keyId },
        ]),
      keyId: KEYS[1]!.keyId,
    },
  ];
  for (const c of good) {
    it(`verifies ${c.desc}`, () => {
      expect(verify([c.occ()])).to.deep.equal({ verified: true, occurrence: 'projects/p/occurrences/o1', keyId: c.keyId });
    });
  }

  const sig = pss32(PAYLOAD);
  const id = KEYS[0]!.keyId;
  const tampered: Array<{ desc: string; occ: () => CandidateOccurrence[]; want: VerificationFailureReason }> = [
    {
      desc: 'flipped byte in the payload',
      occ: () => [occurrence(flip(PAYLOAD, 40), [{ signature: sig, publicKeyId: id }])],
      want: 'BAD_SIGNATURE',
    },
    {
      desc: 'flipped byte in the signature',
      occ: () => [occurrence(PAYLOAD, [{ signature: flip(sig, 100), publicKeyId: id }])],
      want: 'BAD_SIGNATURE',
    },
    {
      desc: 'truncated signature',
      occ: () => [occurrence(PAYLOAD, [{ signature: sig.subarray(0, 255), publicKeyId: id }])],
      want: 'BAD_SIGNATURE',
    },
    { desc: 'empty signature', occ: () => [occurrence(PAYLOAD, [{ signature: '', publicKeyId: id }])], want: 'BAD_SIGNATURE' },
    {
      desc: 'non-base64 signature',
      occ: () => [occurrence(PAYLOAD, [{ signature: '!!not base64!!', publicKeyId: id }])],
      want: 'BAD_SIGNATURE',
    },
    {
      desc: 'signed by the wrong key',
      occ: () => [occurrence(PAYLOAD, [{ signature: pss32(PAYLOAD, rsaOther.privateKey), publicKeyId: id }])],
      want: 'BAD_SIGNATURE',
    },
    {
      desc: 'EC signature under an RSA key id',
      occ: () => [occurrence(PAYLOAD, [{ signature: signWith(p256.privateKey, 'EC_SIGN_P256_SHA256', PAYLOAD), publicKeyId: id }])],
      want: 'BAD_SIGNATURE',
    },
    { desc: 'disabled key', occ: () => [occurrence(PAYLOAD, [{ signature: sig, publicKeyId: KEYS[5]!.keyId }])], want: 'DISABLED_KEY' },
    {
      desc: 'unknown key id',
      occ: () => [occurrence(PAYLOAD, [{ signature: sig, publicKeyId: 'projects/p/keys/rsa/versions/9' }])],
      want: 'UNKNOWN_KEY',
    },
    { desc: 'no key id', occ: () => [occurrence(PAYLOAD, [{ signature: sig }])], want: 'UNKNOWN_KEY' },
    {
      desc: 'payload for another digest',
      occ: () => [occurrence(payloadFor(REPO, OTHER_D), [{ signature: pss32(payloadFor(REPO, OTHER_D)), publicKeyId: id }])],
      want: 'DIGEST_MISMATCH',
    },
    {
      desc: 'same digest pushed to another repository',
      occ: () => [
        occurrence(payloadFor('127.0.0.1:5000/other/alpine', D), [
          { signature: pss32(payloadFor('127.0.0.1:5000/other/alpine', D)), publicKeyId: id },
        ]),
      ],
      want: 'IDENTITY_MISMATCH',
    },
    {
      desc: 'signed malformed JSON',
      occ: () => [occurrence(Buffer.from('{"critical":'), [{ signature: pss32(Buffer.from('{"critical":')), publicKeyId: id }])],
      want: 'MALFORMED_PAYLOAD',
    },
    { desc: 'non-base64 payload', occ: () => [occurrence('%%%', [{ signature: sig, publicKeyId: id }])], want: 'MALFORMED_PAYLOAD' },
    { desc: 'no signatures', occ: () => [occurrence(PAYLOAD, [])], want: 'NOT_ATTESTED' },
    { desc: 'no occurrences', occ: () => [], want: 'NOT_ATTESTED' },
    {
      desc: 'a valid attestation of another resource',
      occ: () => [occurrence(PAYLOAD, [{ signature: sig, publicKeyId: id }], `https://${REPO}@${OTHER_D}`)],
      want: 'NOT_ATTESTED',
    },
    {
      desc: 'several failures: the most specific wins',
      occ: () => [
        occurrence(PAYLOAD, [{ signature: sig, publicKeyId: 'nope' }]),
        occurrence(PAYLOAD, [{ signature: sig, publicKeyId: KEYS[5]!.keyId }]),
        occurrence(payloadFor('127.0.0.1:5000/other/alpine', D), [
          { signature: pss32(payloadFor('127.0.0.1:5000/other/alpine', D)), publicKeyId: id },
        ]),
        occurrence(flip(PAYLOAD, 3), [{ signature: sig, publicKeyId: id }]),
      ],
      want: 'IDENTITY_MISMATCH',
    },
  ];
  for (const c of tampered) {
    it(`refuses ${c.desc}: ${c.want}`, () => {
      const result = verify(c.occ());
      expect(result.verified).to.equal(false);
      if (result.verified) return;
      expect(result.reason).to.equal(c.want);
      expect(result.message).to.be.a('string').and.have.length.above(10);
    });
  }

  it('requires the image by digest', () => {
    let caught: unknown;
    try {
      verify([occurrence(PAYLOAD, [{ signature: sig, publicKeyId: id }])], parseImageReference(`${REPO}:3.11`));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(ApiError);
    expect((caught as ApiError).code).to.equal('INVALID_ARGUMENT');
  });

  it('ignores the tag of a tag@digest image', () => {
    const result = verify([occurrence(PAYLOAD, [{ signature: sig, publicKeyId: id }])], parseImageReference(`${REPO}:3.11@${D}`));
    expect(result.verified).to.equal(true);
  });

  it('matches Docker Hub spellings on both sides', () => {
    const hubPayload = payloadFor('docker.io/library/alpine', D);
    const written = Buffer.from(hubPayload.toString().replace('docker.io/library/alpine', 'alpine'));
    for (const [payload, uri] of [
      [hubPayload, `https://docker.io/library/alpine@${D}`],
      [written, `https://alpine@${D}`],
    ] as const) {
      for (const image of ['alpine', 'docker.io/alpine', 'index.docker.io/library/alpine']) {
        const result = verify(
          [occurrence(payload, [{ signature: pss32(payload), publicKeyId: id }], uri)],
          parseImageReference(`${image}@${D}`),
        );
        expect(result.verified, `${image} vs ${uri}`).to.equal(true);
      }
    }
  });

  it('verifies with an older key version that is still enabled (rotation)', () => {
    const v2 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = [
      ...KEYS,
      { keyId: 'projects/p/keys/rsa/versions/2', publicKey: v2.publicKey, algorithm: 'RSA_SIGN_PSS_2048_SHA256', enabled: true },
    ];
    expect(verify([occurrence(PAYLOAD, [{ signature: sig, publicKeyId: id }])], IMAGE, keys)).to.include({ verified: true, keyId: id });
  });

  it("verifies an occurrence shaped as gcloud's attestations sign-and-create writes it", () => {
    // gcloud: json.dumps(payload, indent=2, separators=(',', ': '), sort_keys=True) + '\n', type "Google cloud binauthz …".
    const payload = Buffer.from(
      `${JSON.stringify(
        {
          critical: {
            identity: { 'docker-reference': REPO },
            image: { 'docker-manifest-digest': D },
            type: 'Google cloud binauthz container signature',
          },
        },
        null,
        2,
      )}\n`,
    );
    const occ = {
      name: 'projects/p/occurrences/2f1b1c5e-0000-4000-8000-000000000001',
      resourceUri: URI,
      noteName: 'projects/p/notes/attestor-note',
      kind: 'ATTESTATION',
      attestation: {
        serializedPayload: payload.toString('base64'),
        signatures: [
          { signature: signWith(p384.privateKey, 'ECDSA_P384_SHA384', payload).toString('base64'), publicKeyId: keyIdFor(p384.publicKey) },
        ],
      },
      createTime: '2026-01-01T00:00:00.000000Z',
      updateTime: '2026-01-01T00:00:00.000000Z',
    };
    expect(verify([occ])).to.deep.equal({ verified: true, occurrence: occ.name, keyId: KEYS[3]!.keyId });
  });
});

describe('verifySignature', () => {
  it('never throws on garbage signatures, for every key type and algorithm', () => {
    const keys = [rsa.publicKey, p256.publicKey, p384.publicKey];
    const algorithms = [
      undefined,
      'RSA_SIGN_PSS_2048_SHA256',
      'RSA_SIGN_PKCS1_4096_SHA512',
      'EC_SIGN_P256_SHA256',
      'ECDSA_P521_SHA512',
      'NOPE',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.constantFrom(...algorithms),
        fc.uint8Array({ maxLength: 600 }),
        (publicKey, algorithm, bytes) => {
          expect(verifySignature({ publicKey, algorithm, data: PAYLOAD, signature: Buffer.from(bytes) })).to.equal(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a key that does not fit the declared algorithm', () => {
    const signature = signWith(rsa.privateKey, 'RSA_SIGN_PSS_2048_SHA256', PAYLOAD);
    expect(verifySignature({ publicKey: rsa.publicKey, algorithm: 'RSA_SIGN_PSS_2048_SHA256', data: PAYLOAD, signature })).to.equal(true);
    expect(verifySignature({ publicKey: rsa.publicKey, algorithm: 'RSA_SIGN_PSS_4096_SHA256', data: PAYLOAD, signature })).to.equal(false);
    expect(verifySignature({ publicKey: rsa.publicKey, algorithm: 'EC_SIGN_P256_SHA256', data: PAYLOAD, signature })).to.equal(false);
  });

  it('derives the PKIX key id from the DER SubjectPublicKeyInfo', () => {
    const der = rsa.publicKey.export({ type: 'spki', format: 'der' });
    expect(keyIdFor(rsa.publicKey)).to.equal(`ni:///sha-256;${crypto.createHash('sha256').update(der).digest('base64url')}`);
    expect(keyIdFor(rsa.publicKey)).to.match(/^ni:\/\/\/sha-256;[A-Za-z0-9_-]{43}$/);
  });
});
