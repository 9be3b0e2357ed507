import type { ImageReference } from '../domain/image-reference';
import { decodeBase64 } from './base64';
import { MAX_ENVELOPE_PAYLOAD_BYTES } from './dsse';
import { MAX_PAYLOAD_BYTES } from './simple-signing';
import { type FormOptions, type FormOutcome, verifyDsseEnvelope, verifyJwtAttestation, verifySimpleSigning } from './signed-forms';
import type { VerificationKey } from './verify-attestation';

/** Most JWTs read from one occurrence. */
const MAX_JWTS = 16;
const MAX_SIGNATURE_CHARS = 8 * 1024;

/** The parts of a Grafeas occurrence (JSON form, bytes as base64) that carry signed forms. */
export interface SignedOccurrence {
  name: string;
  kind?: string;
  attestation?: {
    serializedPayload?: string;
    signatures?: Array<{ signature?: string; publicKeyId?: string }>;
    jwts?: Array<{ compactJwt?: string }>;
  };
  envelope?: unknown;
  dsseAttestation?: { envelope?: unknown };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Tekton Chains' BUILD quirk: `envelope.signatures[0].sig` base64-decodes to a whole DSSE envelope. Returns that
 * inner envelope when the outer one has exactly this shape and the same payload, else the envelope itself.
 */
function unwrapChainsEnvelope(envelope: unknown): unknown {
  if (!isObject(envelope) || !Array.isArray(envelope.signatures) || envelope.signatures.length !== 1) return envelope;
  const first: unknown = envelope.signatures[0];
  const sig =
    isObject(first) && typeof first.sig === 'string' ? decodeBase64(first.sig, Math.ceil(MAX_ENVELOPE_PAYLOAD_BYTES / 3) * 8) : undefined;
  if (sig === undefined || sig[0] !== 0x7b) return envelope;
  try {
    const inner: unknown = JSON.parse(sig.toString('utf8'));
    if (isObject(inner) && inner.payload === envelope.payload && inner.payloadType === envelope.payloadType) return inner;
  } catch {
    // Not JSON: an ordinary signature.
  }
  return envelope;
}

/**
 * Every signed form an occurrence carries, each verified for the image with the witness's keys: simple signing
 * (`attestation.serializedPayload` + `signatures`), `attestation.jwts`, the occurrence's `envelope` (on an
 * ATTESTATION occurrence only when `serializedPayload` is absent or equal to the envelope's payload) and
 * `dsseAttestation.envelope`. An occurrence with none of them gives one NOT_ATTESTED outcome.
 */
export async function verifyOccurrenceForms(
  occurrence: SignedOccurrence,
  image: ImageReference,
  keys: readonly VerificationKey[],
  options: FormOptions,
): Promise<FormOutcome[]> {
  const where = `occurrence ${occurrence.name}`;
  const out: FormOutcome[] = [];
  const attestation = occurrence.attestation;
  if (attestation?.serializedPayload !== undefined && attestation.serializedPayload !== '' && (attestation.signatures ?? []).length > 0) {
    const payload = decodeBase64(attestation.serializedPayload, Math.ceil(MAX_PAYLOAD_BYTES / 3) * 4);
    const signatures = (attestation.signatures ?? []).map((s) => ({
      signature: decodeBase64(s.signature ?? '', MAX_SIGNATURE_CHARS) ?? Buffer.alloc(0),
      keyId: s.publicKeyId ?? '',
    }));
    out.push(
      payload === undefined || payload.length === 0
        ? {
            verified: false,
            form: 'simple-signing',
            reason: 'MALFORMED_PAYLOAD',
            message: `${where} has an oversized or non-base64 serializedPayload`,
          }
        : verifySimpleSigning(payload, signatures, image, keys, where),
    );
  }
  for (const [i, jwt] of (attestation?.jwts ?? []).slice(0, MAX_JWTS).entries()) {
    out.push(await verifyJwtAttestation(jwt.compactJwt ?? '', image, keys, `${where} jwts[${i}]`));
  }
  if (occurrence.envelope !== undefined && occurrence.envelope !== null) {
    const envelope = unwrapChainsEnvelope(occurrence.envelope);
    const payload = isObject(occurrence.envelope) ? occurrence.envelope.payload : undefined;
    const serialized = attestation?.serializedPayload;
    if (occurrence.kind === 'ATTESTATION' && serialized !== undefined && serialized !== '' && serialized !== payload) {
      out.push({
        verified: false,
        form: 'dsse',
        reason: 'MALFORMED_ENVELOPE',
        message: `${where}: attestation.serializedPayload differs from envelope.payload; one occurrence must carry one payload`,
      });
    } else {
      out.push(verifyDsseEnvelope(envelope, image, keys, options, `${where} envelope`));
    }
  }
  if (occurrence.dsseAttestation?.envelope !== undefined && occurrence.dsseAttestation.envelope !== null) {
    out.push(verifyDsseEnvelope(occurrence.dsseAttestation.envelope, image, keys, options, `${where} dsseAttestation.envelope`));
  }
  if (out.length === 0)
    out.push({ verified: false, form: 'simple-signing', reason: 'NOT_ATTESTED', message: `${where} carries no signed form` });
  return out;
}
