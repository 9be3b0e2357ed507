import type { ImageReference } from '../domain/image-reference';
import type { JsonObject } from '../domain/message-types';
import { decodeBase64 } from '../signing/base64';
import { parseEnvelope } from '../signing/dsse';
import { verifySignature } from '../signing/signature-algorithms';
import { type FormOptions, type FormOutcome, verifyDsseEnvelope, verifySigstoreBundle, verifySimpleSigning } from '../signing/signed-forms';
import type { VerificationKey } from '../signing/verify-attestation';
import type { SignedArtifact } from './signature-artifacts';

/** Longest base64 signature annotation looked at (an RSA-4096 signature is 684 characters). */
const MAX_SIGNATURE_CHARS = 8 * 1024;

/**
 * A verified artifact as it is recorded: the signed form, the key that verified it, and the occurrence fields that
 * carry it byte for byte (`attestation` and, for envelopes, `envelope`), plus a key that is equal for equal material.
 */
export interface VerifiedArtifact {
  readonly form: FormOutcome['form'];
  readonly keyId: string;
  readonly fields: JsonObject;
  /** The signed material (payload and signatures) as one string: equal occurrences have equal material. */
  readonly material: string;
}

/** Verifies one artifact for the image with a witness's keys: the recordable occurrence fields, or why it does not count. */
export function verifyArtifact(
  artifact: SignedArtifact,
  image: ImageReference,
  keys: readonly VerificationKey[],
  options: FormOptions = {},
): VerifiedArtifact | { reason: string } {
  if (artifact.form === 'simple-signing') return verifyCosignSignature(artifact, image, keys);
  const outcome =
    artifact.form === 'dsse'
      ? verifyDsseEnvelope(artifact.document, image, keys, options, artifact.where)
      : verifySigstoreBundle(artifact.document, image, keys, artifact.where);
  if (!outcome.verified) return { reason: `${outcome.reason}: ${outcome.message}` };
  const source = artifact.form === 'dsse' ? artifact.document : (artifact.document as { dsseEnvelope?: unknown }).dsseEnvelope;
  const envelope = parseEnvelope(source, artifact.where);
  if ('reason' in envelope) return { reason: `${envelope.reason}: ${envelope.message}` };
  const payload = envelope.payload.toString('base64');
  const signatures = envelope.signatures.map((s) => ({ sig: s.sig.toString('base64'), keyid: s.keyid }));
  return {
    form: outcome.form,
    keyId: outcome.keyIds[0]!,
    fields: { attestation: { serializedPayload: payload }, envelope: { payload, payloadType: envelope.payloadType, signatures } },
    material: materialOf(
      payload,
      signatures.map((s) => s.sig),
    ),
  };
}

/** cosign's simple signing: the annotation's signature over the payload blob, by some enabled key of the witness. */
function verifyCosignSignature(
  artifact: Extract<SignedArtifact, { form: 'simple-signing' }>,
  image: ImageReference,
  keys: readonly VerificationKey[],
): VerifiedArtifact | { reason: string } {
  const signature = decodeBase64(artifact.signature, MAX_SIGNATURE_CHARS);
  if (signature === undefined || signature.length === 0) {
    return { reason: `MALFORMED_PAYLOAD: ${artifact.where}: the signature annotation is not base64` };
  }
  const signer = keys.find(
    (k) => k.enabled && verifySignature({ publicKey: k.publicKey, algorithm: k.algorithm, data: artifact.payload, signature }),
  );
  if (signer === undefined) {
    return { reason: `BAD_SIGNATURE: ${artifact.where}: no enabled key of the witness verifies the signature over the payload` };
  }
  const outcome = verifySimpleSigning(artifact.payload, [{ signature, keyId: signer.keyId }], image, keys, artifact.where);
  if (!outcome.verified) return { reason: `${outcome.reason}: ${outcome.message}` };
  const payload = artifact.payload.toString('base64');
  const sig = signature.toString('base64');
  return {
    form: 'simple-signing',
    keyId: signer.keyId,
    fields: { attestation: { serializedPayload: payload, signatures: [{ signature: sig, publicKeyId: signer.keyId }] } },
    material: materialOf(payload, [sig]),
  };
}

/** The material key of a stored occurrence's signed form (simple signing or envelope), undefined when it has none. */
export function occurrenceMaterial(occurrence: JsonObject): string | undefined {
  const envelope = occurrence.envelope as { payload?: string; signatures?: Array<{ sig?: string }> } | undefined;
  if (envelope?.payload)
    return materialOf(
      envelope.payload,
      (envelope.signatures ?? []).map((s) => s.sig ?? ''),
    );
  const attestation = occurrence.attestation as { serializedPayload?: string; signatures?: Array<{ signature?: string }> } | undefined;
  if (attestation?.serializedPayload && (attestation.signatures ?? []).length > 0) {
    return materialOf(
      attestation.serializedPayload,
      (attestation.signatures ?? []).map((s) => s.signature ?? ''),
    );
  }
  return undefined;
}

function materialOf(payload: string, signatures: readonly string[]): string {
  return [normalize(payload), ...signatures.map(normalize).sort()].join('|');
}

/** Base64 as standard, padded text (what proto3 JSON writes), so that spellings of the same bytes compare equal. */
function normalize(base64: string): string {
  return (decodeBase64(base64) ?? Buffer.from(base64)).toString('base64');
}
