import type { ImageReference } from '../domain/image-reference';
import { type DsseEnvelope, envelopeSigners, parseEnvelope } from './dsse';
import { type InTotoStatement, readStatement } from './in-toto-statement';
import { verifyCompactJws } from './jws-attestation';
import { verifySignature } from './signature-algorithms';
import { checkClaims, type VerificationKey } from './verify-attestation';

/** The signed forms attestd verifies (docs/attestation-forms.md lists their exact rules). */
export type SignedFormName = 'simple-signing' | 'dsse' | 'dsse-raw' | 'jwt' | 'sigstore-bundle';

/** Why a signed form does not count for an image. */
export type FormFailureReason =
  | 'MALFORMED_ENVELOPE'
  | 'NO_SIGNATURES'
  | 'BAD_SIGNATURE'
  | 'RAW_SIGNATURE_NOT_ACCEPTED'
  | 'UNSUPPORTED_PAYLOAD_TYPE'
  | 'NOT_A_STATEMENT'
  | 'UNKNOWN_STATEMENT_TYPE'
  | 'SUBJECT_MISMATCH'
  | 'MALFORMED_JWT'
  | 'MALFORMED_PAYLOAD'
  | 'IDENTITY_MISMATCH'
  | 'DIGEST_MISMATCH'
  | 'NOT_ATTESTED'
  | 'UNKNOWN_KEY'
  | 'DISABLED_KEY';

/** A form whose signature verified and whose payload binds the image; `statement` when the payload is in-toto. */
export type VerifiedForm = { verified: true; form: SignedFormName; keyIds: string[]; statement?: InTotoStatement };
export type FormFailure = { verified: false; form: SignedFormName; reason: FormFailureReason; message: string };
export type FormOutcome = VerifiedForm | FormFailure;

/** How a witness reads envelopes. */
export interface FormOptions {
  /** Accept envelopes signed over the raw payload instead of PAE (Tekton Chains ATTESTATION, Cloud Build). */
  acceptRawEnvelope?: boolean;
}

/** payloadTypes under which an envelope carries a simple-signing payload (cosign's media type, Chains). */
const SIMPLE_SIGNING_PAYLOAD_TYPES = ['application/vnd.dev.cosign.simplesigning.v1+json'];

function fail(form: SignedFormName, reason: FormFailureReason, message: string): FormFailure {
  return { verified: false, form, reason, message };
}

/** Judges a verified payload: an in-toto statement about the digest, or a simple-signing payload naming the image. */
function judgePayload(envelope: DsseEnvelope, form: SignedFormName, keyIds: string[], image: ImageReference, where: string): FormOutcome {
  if (SIMPLE_SIGNING_PAYLOAD_TYPES.includes(envelope.payloadType) && form === 'dsse-raw') {
    const mismatch = checkClaims(envelope.payload, image, where);
    return mismatch === undefined ? { verified: true, form, keyIds } : fail(form, mismatch.reason, mismatch.message);
  }
  const statement = readStatement(envelope, image.digest ?? '', where);
  if ('reason' in statement) return fail(form, statement.reason, statement.message);
  return { verified: true, form, keyIds, statement };
}

/**
 * Verifies a DSSE envelope (JSON form) for an image: some signature over PAE by an enabled key, then the payload
 * must be an in-toto Statement whose subject holds the image's digest. With `acceptRawEnvelope`, a signature over
 * the bare payload also counts (form `dsse-raw`); without it such a signature is refused with its own reason.
 */
export function verifyDsseEnvelope(
  value: unknown,
  image: ImageReference,
  keys: readonly VerificationKey[],
  options: FormOptions,
  where: string,
  form: 'dsse' | 'sigstore-bundle' = 'dsse',
): FormOutcome {
  const envelope = parseEnvelope(value, where);
  if ('reason' in envelope) return fail(form, envelope.reason, envelope.message);
  const signers = envelopeSigners(envelope, keys);
  if (signers.length > 0)
    return judgePayload(
      envelope,
      form,
      signers.map((k) => k.keyId),
      image,
      where,
    );
  const rawSigners = envelopeSigners(envelope, keys, true);
  if (rawSigners.length === 0) {
    return fail(form, 'BAD_SIGNATURE', `${where}: no signature verifies over PAE with an enabled key of this witness`);
  }
  if (options.acceptRawEnvelope !== true || form !== 'dsse') {
    return fail(
      form,
      'RAW_SIGNATURE_NOT_ACCEPTED',
      `${where} is signed over the raw payload, not over DSSE's PAE; only a witness created with "acceptRawEnvelope": true accepts that`,
    );
  }
  return judgePayload(
    envelope,
    'dsse-raw',
    rawSigners.map((k) => k.keyId),
    image,
    where,
  );
}

/** Verifies a Sigstore bundle (v0.1–v0.3) holding a DSSE envelope, key-based (no certificate chain is trusted). */
export function verifySigstoreBundle(value: unknown, image: ImageReference, keys: readonly VerificationKey[], where: string): FormOutcome {
  const bundle = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const mediaType = typeof bundle.mediaType === 'string' ? bundle.mediaType : '';
  if (!mediaType.startsWith('application/vnd.dev.sigstore.bundle')) {
    return fail('sigstore-bundle', 'MALFORMED_ENVELOPE', `${where} is not a Sigstore bundle (mediaType ${JSON.stringify(mediaType)})`);
  }
  if (bundle.dsseEnvelope === undefined) {
    return fail('sigstore-bundle', 'UNSUPPORTED_PAYLOAD_TYPE', `${where} holds no dsseEnvelope (message signatures are not read)`);
  }
  return verifyDsseEnvelope(bundle.dsseEnvelope, image, keys, {}, where, 'sigstore-bundle');
}

/**
 * Verifies a simple-signing payload and its signatures (bytes as stored). Each signature's `keyId` must name an
 * enabled key of the witness (as Binary Authorization's `publicKeyId`); the payload must name the image's
 * repository and digest.
 */
export function verifySimpleSigning(
  payload: Buffer,
  signatures: ReadonlyArray<{ signature: Buffer; keyId: string }>,
  image: ImageReference,
  keys: readonly VerificationKey[],
  where: string,
): FormOutcome {
  const form = 'simple-signing';
  if (signatures.length === 0) return fail(form, 'NO_SIGNATURES', `${where} carries no signature`);
  let last: FormFailure | undefined;
  for (const { signature, keyId } of signatures) {
    const named = keys.filter((k) => k.keyId === keyId);
    if (named.length === 0) {
      last ??= fail(form, 'UNKNOWN_KEY', `${where} is signed by key ${JSON.stringify(keyId)}, which this witness does not hold`);
      continue;
    }
    const enabled = named.filter((k) => k.enabled);
    const good = enabled.some((k) => verifyFor(k, payload, signature));
    if (!good) {
      last = fail(form, enabled.length === 0 ? 'DISABLED_KEY' : 'BAD_SIGNATURE', `${where}: the signature by key ${keyId} does not verify`);
      continue;
    }
    const mismatch = checkClaims(payload, image, where);
    if (mismatch === undefined) return { verified: true, form, keyIds: [keyId] };
    last = fail(form, mismatch.reason, mismatch.message);
  }
  return last!;
}

function verifyFor(key: VerificationKey, data: Buffer, signature: Buffer): boolean {
  return verifySignature({ publicKey: key.publicKey, algorithm: key.algorithm, data, signature });
}

/** Verifies a compact JWS on `attestation.jwts`: its claims must be a simple-signing payload naming the image. */
export async function verifyJwtAttestation(
  compact: string,
  image: ImageReference,
  keys: readonly VerificationKey[],
  where: string,
): Promise<FormOutcome> {
  const verified = await verifyCompactJws(compact, keys, where);
  if ('reason' in verified) return fail('jwt', verified.reason, verified.message);
  const mismatch = checkClaims(verified.payload, image, where);
  return mismatch === undefined
    ? { verified: true, form: 'jwt', keyIds: [verified.keyId] }
    : fail('jwt', mismatch.reason, mismatch.message);
}
