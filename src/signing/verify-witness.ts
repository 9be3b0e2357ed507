import { fullRepository, normalizeResourceUri, type ImageReference } from '../domain/image-reference';
import type { InTotoStatement } from './in-toto-statement';
import { verifyOccurrenceForms, type SignedOccurrence } from './occurrence-forms';
import type { FormFailureReason, FormOptions, SignedFormName } from './signed-forms';
import { type CandidateOccurrence, type VerificationFailureReason, type VerificationKey, verifyAttestation } from './verify-attestation';

/** An occurrence as witness verification reads it: simple signing plus the envelope and JWT forms. */
export type WitnessOccurrence = CandidateOccurrence & SignedOccurrence;

/** A verified in-toto statement about the image, with the occurrence and form it was verified in. */
export type WitnessStatement = InTotoStatement & { readonly occurrence: string; readonly form: SignedFormName };

/** A witness's verdict on an image: which occurrence and form verified, and the in-toto statements it vouches for. */
export type WitnessResult =
  | { verified: true; occurrence: string; keyId: string; form: SignedFormName; statements: WitnessStatement[] }
  | { verified: false; reason: VerificationFailureReason; message: string; statements: WitnessStatement[] };

/** The verdict reason a form failure is reported under (the message keeps the specific cause). */
const VERDICT_REASON: Readonly<Record<FormFailureReason, VerificationFailureReason>> = {
  MALFORMED_ENVELOPE: 'MALFORMED_PAYLOAD',
  MALFORMED_JWT: 'MALFORMED_PAYLOAD',
  NOT_A_STATEMENT: 'MALFORMED_PAYLOAD',
  UNKNOWN_STATEMENT_TYPE: 'MALFORMED_PAYLOAD',
  UNSUPPORTED_PAYLOAD_TYPE: 'MALFORMED_PAYLOAD',
  MALFORMED_PAYLOAD: 'MALFORMED_PAYLOAD',
  SUBJECT_MISMATCH: 'DIGEST_MISMATCH',
  DIGEST_MISMATCH: 'DIGEST_MISMATCH',
  IDENTITY_MISMATCH: 'IDENTITY_MISMATCH',
  RAW_SIGNATURE_NOT_ACCEPTED: 'BAD_SIGNATURE',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  NO_SIGNATURES: 'NOT_ATTESTED',
  NOT_ATTESTED: 'NOT_ATTESTED',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  DISABLED_KEY: 'DISABLED_KEY',
};
const PRIORITY: Readonly<Record<VerificationFailureReason, number>> = {
  DIGEST_MISMATCH: 6,
  IDENTITY_MISMATCH: 6,
  BAD_SIGNATURE: 5,
  DISABLED_KEY: 4,
  UNKNOWN_KEY: 3,
  MALFORMED_PAYLOAD: 2,
  NOT_ATTESTED: 1,
};

/** Does the occurrence carry a form besides simple signing (an envelope, a DSSE attestation, JWTs)? */
function carriesOtherForms(o: WitnessOccurrence): boolean {
  return (o.envelope !== undefined && o.envelope !== null) || o.dsseAttestation?.envelope != null || (o.attestation?.jwts ?? []).length > 0;
}

/** The image's normalized resource URI for an occurrence's, with or without `https://` (Tekton Chains omits it). */
function normalized(uri: string): string | undefined {
  return normalizeResourceUri(uri.startsWith('https://') ? uri : `https://${uri}`);
}

/**
 * Decides whether a witness attests an image through any signed form: simple signing exactly as
 * {@link verifyAttestation} decides it, else DSSE envelopes (`envelope`, `dsseAttestation.envelope`, Chains' nested
 * envelope) and `attestation.jwts`. Also returns every verified in-toto statement about the image, for policy
 * conditions. A failure reports the most specific reason over all occurrences and forms.
 */
export async function verifyWitness(input: {
  image: ImageReference;
  keys: readonly VerificationKey[];
  occurrences: readonly WitnessOccurrence[];
  options: FormOptions;
}): Promise<WitnessResult> {
  const simple = verifyAttestation(input);
  const target = normalized(`${fullRepository(input.image)}@${input.image.digest}`);
  const statements: WitnessStatement[] = [];
  let first: { occurrence: string; keyId: string; form: SignedFormName } | undefined;
  let worst = simple.verified ? undefined : { reason: simple.reason, message: simple.message };
  for (const occurrence of input.occurrences) {
    if (!carriesOtherForms(occurrence) || normalized(occurrence.resourceUri) !== target) continue;
    for (const outcome of await verifyOccurrenceForms(occurrence, input.image, input.keys, input.options)) {
      if (outcome.verified) {
        if (outcome.statement !== undefined) statements.push({ ...outcome.statement, occurrence: occurrence.name, form: outcome.form });
        first ??= { occurrence: occurrence.name, keyId: outcome.keyIds[0]!, form: outcome.form };
        continue;
      }
      const reason = VERDICT_REASON[outcome.reason];
      if (worst === undefined || PRIORITY[reason] > PRIORITY[worst.reason]) worst = { reason, message: outcome.message };
    }
  }
  if (simple.verified) return { verified: true, occurrence: simple.occurrence, keyId: simple.keyId, form: 'simple-signing', statements };
  if (first !== undefined) return { verified: true, ...first, statements };
  return { verified: false, ...worst!, statements };
}
