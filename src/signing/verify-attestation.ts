import type { KeyObject } from 'node:crypto';
import { ApiError } from '../domain/api-error';
import {
  fullRepository,
  type ImageReference,
  normalizeResourceUri,
  parseImageReference,
  requireDigest,
  resourceUri,
} from '../domain/image-reference';
import { decodeBase64 } from './base64';
import { MAX_PAYLOAD_BYTES, parsePayload } from './simple-signing';
import { verifySignature } from './signature-algorithms';

/** Why an image is not verified, most specific first in {@link REASON_PRIORITY}. */
export type VerificationFailureReason =
  'NOT_ATTESTED' | 'BAD_SIGNATURE' | 'UNKNOWN_KEY' | 'DISABLED_KEY' | 'IDENTITY_MISMATCH' | 'DIGEST_MISMATCH' | 'MALFORMED_PAYLOAD';

/** A witness key as verification sees it; `keyId` is what occurrences put in `signatures[].publicKeyId`. */
export interface VerificationKey {
  keyId: string;
  publicKey: KeyObject;
  algorithm?: string;
  enabled: boolean;
}

/** The parts of a Grafeas ATTESTATION occurrence verification reads (JSON form: bytes as base64). */
export interface CandidateOccurrence {
  name: string;
  resourceUri: string;
  attestation?: {
    serializedPayload?: string;
    signatures?: Array<{ signature?: string; publicKeyId?: string }>;
  };
}

export type VerificationResult =
  { verified: true; occurrence: string; keyId: string } | { verified: false; reason: VerificationFailureReason; message: string };

/** Higher wins when several occurrences fail for different reasons. */
const REASON_PRIORITY: Readonly<Record<VerificationFailureReason, number>> = {
  DIGEST_MISMATCH: 6,
  IDENTITY_MISMATCH: 6,
  BAD_SIGNATURE: 5,
  DISABLED_KEY: 4,
  UNKNOWN_KEY: 3,
  MALFORMED_PAYLOAD: 2,
  NOT_ATTESTED: 1,
};
/** Longest base64 signature looked at (an RSA-4096 signature is 684 characters). */
const MAX_SIGNATURE_CHARS = 8 * 1024;
export type Failure = { reason: VerificationFailureReason; message: string };

/** Checks what a verified simple-signing payload claims against the image; undefined when it matches. */
export function checkClaims(payload: Buffer, image: ImageReference, where: string): Failure | undefined {
  let claimed: ImageReference;
  let digest: string;
  try {
    const claims = parsePayload(payload);
    claimed = parseImageReference(claims.dockerReference);
    digest = claims.digest;
  } catch (err) {
    const detail = err instanceof ApiError ? err.message : 'unreadable';
    return { reason: 'MALFORMED_PAYLOAD', message: `${where} has a signed but malformed payload: ${detail}` };
  }
  if (fullRepository(claimed) !== fullRepository(image)) {
    return {
      reason: 'IDENTITY_MISMATCH',
      message: `${where} attests repository ${fullRepository(claimed)}, not ${fullRepository(image)}`,
    };
  }
  if (digest !== image.digest || (claimed.digest !== undefined && claimed.digest !== image.digest)) {
    return { reason: 'DIGEST_MISMATCH', message: `${where} attests digest ${digest}, not ${image.digest}` };
  }
  return undefined;
}

/** Verifies one occurrence: a verified key id, or the most specific failure among its signatures. */
function verifyOccurrence(
  occurrence: CandidateOccurrence,
  image: ImageReference,
  keys: readonly VerificationKey[],
): { keyId: string } | Failure {
  const where = `occurrence ${occurrence.name}`;
  const signatures = occurrence.attestation?.signatures ?? [];
  if (signatures.length === 0) return { reason: 'NOT_ATTESTED', message: `${where} carries no signature` };
  const encoded = occurrence.attestation?.serializedPayload ?? '';
  const payload = encoded.length <= Math.ceil(MAX_PAYLOAD_BYTES / 3) * 4 ? decodeBase64(encoded) : undefined;
  if (payload === undefined || payload.length === 0) {
    return { reason: 'MALFORMED_PAYLOAD', message: `${where} has a missing, oversized or non-base64 serializedPayload` };
  }
  let worst: Failure | undefined;
  const note = (failure: Failure): void => {
    if (worst === undefined || REASON_PRIORITY[failure.reason] > REASON_PRIORITY[worst.reason]) worst = failure;
  };
  for (const sig of signatures) {
    const keyId = sig.publicKeyId ?? '';
    const named = keys.filter((k) => k.keyId === keyId);
    if (named.length === 0) {
      note({ reason: 'UNKNOWN_KEY', message: `${where} is signed by key ${JSON.stringify(keyId)}, which this witness does not hold` });
      continue;
    }
    const enabled = named.filter((k) => k.enabled);
    if (enabled.length === 0) {
      note({ reason: 'DISABLED_KEY', message: `${where} is signed by key ${keyId}, which is disabled` });
      continue;
    }
    const signature = (sig.signature ?? '').length <= MAX_SIGNATURE_CHARS ? decodeBase64(sig.signature ?? '') : undefined;
    const good =
      signature !== undefined &&
      enabled.some((k) => verifySignature({ publicKey: k.publicKey, algorithm: k.algorithm, data: payload, signature }));
    if (!good) {
      note({ reason: 'BAD_SIGNATURE', message: `${where}: the signature by key ${keyId} does not verify over the stored payload` });
      continue;
    }
    const mismatch = checkClaims(payload, image, where);
    if (mismatch === undefined) return { keyId };
    note(mismatch);
  }
  return worst!;
}

/**
 * Decides whether an image by digest is attested by one of `keys`: true when any occurrence for the image carries
 * a signature, by an enabled key named in `publicKeyId`, over the exact stored payload bytes, and that payload names
 * the image's repository (normalized) and digest. Otherwise the most specific reason over all occurrences.
 * Throws INVALID_ARGUMENT when the image has no digest.
 */
export function verifyAttestation(input: {
  image: ImageReference;
  keys: readonly VerificationKey[];
  occurrences: readonly CandidateOccurrence[];
}): VerificationResult {
  requireDigest(input.image);
  const image = { ...parseImageReference(`${fullRepository(input.image)}@${input.image.digest}`), written: input.image.written };
  const uri = resourceUri(image);
  let worst: Failure | undefined;
  let elsewhere = 0;
  for (const occurrence of input.occurrences) {
    if (normalizeResourceUri(occurrence.resourceUri) !== uri) {
      elsewhere += 1;
      continue;
    }
    const outcome = verifyOccurrence(occurrence, image, input.keys);
    if ('keyId' in outcome) return { verified: true, occurrence: occurrence.name, keyId: outcome.keyId };
    if (worst === undefined || REASON_PRIORITY[outcome.reason] > REASON_PRIORITY[worst.reason]) worst = outcome;
  }
  if (worst !== undefined) return { verified: false, ...worst };
  const skipped = elsewhere > 0 ? ` (${elsewhere} occurrence${elsewhere === 1 ? ' was' : 's were'} for other resources)` : '';
  return { verified: false, reason: 'NOT_ATTESTED', message: `no attestation found for ${uri}${skipped}` };
}
