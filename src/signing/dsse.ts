import { decodeBase64 } from './base64';
import { verifySignature } from './signature-algorithms';
import type { VerificationKey } from './verify-attestation';

/** Largest envelope payload read (decoded bytes); provenance statements are a few kilobytes. */
export const MAX_ENVELOPE_PAYLOAD_BYTES = 1024 * 1024;
/** Most signatures looked at on one envelope. */
export const MAX_ENVELOPE_SIGNATURES = 16;
/** Longest base64 signature looked at (an RSA-4096 signature is 684 characters). */
const MAX_SIGNATURE_CHARS = 8 * 1024;

/** A DSSE envelope with its payload and signatures decoded: the exact bytes that were signed. */
export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: Array<{ keyid: string; sig: Buffer }>;
}

/** Why an envelope cannot be read or does not verify. */
export type EnvelopeFailure = { reason: 'MALFORMED_ENVELOPE' | 'NO_SIGNATURES' | 'BAD_SIGNATURE'; message: string };

/** DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an envelope in its JSON form (`{payload, payloadType, signatures[{sig, keyid}]}`, base64 standard or
 * URL-safe, padded or not). `where` names it in messages.
 */
export function parseEnvelope(value: unknown, where: string): DsseEnvelope | EnvelopeFailure {
  const bad = (detail: string): EnvelopeFailure => ({ reason: 'MALFORMED_ENVELOPE', message: `${where}: ${detail}` });
  if (!isObject(value)) return bad('the envelope must be a JSON object');
  if (typeof value.payloadType !== 'string' || value.payloadType === '') return bad('payloadType is missing');
  const payload =
    typeof value.payload === 'string' ? decodeBase64(value.payload, Math.ceil(MAX_ENVELOPE_PAYLOAD_BYTES / 3) * 4) : undefined;
  if (payload === undefined || payload.length === 0) {
    return bad(`payload is missing, not base64 or larger than ${MAX_ENVELOPE_PAYLOAD_BYTES} bytes`);
  }
  const list = value.signatures ?? [];
  if (!Array.isArray(list)) return bad('signatures must be a list');
  if (list.length === 0) return { reason: 'NO_SIGNATURES', message: `${where} carries no signature` };
  if (list.length > MAX_ENVELOPE_SIGNATURES) return bad(`more than ${MAX_ENVELOPE_SIGNATURES} signatures`);
  const signatures: DsseEnvelope['signatures'] = [];
  for (const [i, entry] of list.entries()) {
    const sig = isObject(entry) && typeof entry.sig === 'string' ? decodeBase64(entry.sig, MAX_SIGNATURE_CHARS) : undefined;
    if (sig === undefined || sig.length === 0) return bad(`signatures[${i}].sig is missing or not base64`);
    const keyid = isObject(entry) && typeof entry.keyid === 'string' ? entry.keyid : '';
    signatures.push({ keyid, sig });
  }
  return { payloadType: value.payloadType, payload, signatures };
}

/**
 * The enabled keys with at least one valid signature on the envelope, each key once, in `keys` order. Signatures
 * cover PAE; with `raw` (legacy Tekton Chains / Cloud Build envelopes) the bare payload instead. The keyid is a hint
 * only: every enabled key is tried on every signature, so a keyid naming a trusted key proves nothing by itself.
 */
export function envelopeSigners(envelope: DsseEnvelope, keys: readonly VerificationKey[], raw = false): VerificationKey[] {
  const data = raw ? envelope.payload : pae(envelope.payloadType, envelope.payload);
  return keys.filter(
    (key) =>
      key.enabled &&
      envelope.signatures.some((s) => verifySignature({ publicKey: key.publicKey, algorithm: key.algorithm, data, signature: s.sig })),
  );
}
