import type { DsseEnvelope } from './dsse';

/** The in-toto Statement `_type`s accepted: v1 and v0.1 (cosign attest still writes v0.1). */
export const STATEMENT_TYPES: readonly string[] = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];
/** `application/vnd.in-toto+json`, or the predicate-specific `application/vnd.in-toto.<predicate>+json`. */
const IN_TOTO_PAYLOAD_TYPE = /^application\/vnd\.in-toto(\.[A-Za-z0-9][A-Za-z0-9._-]*)?\+json$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A verified envelope's in-toto Statement, as CEL conditions see it. */
export interface InTotoStatement {
  type: string;
  predicateType: string;
  subject: Array<{ name: string; digest: Record<string, string> }>;
  predicate: Record<string, unknown>;
  /** The whole statement as parsed JSON. */
  json: Record<string, unknown>;
}

/** Why a verified payload does not count as a statement about the image. */
export type StatementFailure = {
  reason: 'UNSUPPORTED_PAYLOAD_TYPE' | 'NOT_A_STATEMENT' | 'UNKNOWN_STATEMENT_TYPE' | 'SUBJECT_MISMATCH';
  message: string;
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSubjects(value: unknown): InTotoStatement['subject'] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: InTotoStatement['subject'] = [];
  for (const entry of value) {
    if (!isObject(entry) || !isObject(entry.digest)) return undefined;
    const digest: Record<string, string> = {};
    for (const [alg, hex] of Object.entries(entry.digest)) if (typeof hex === 'string') digest[alg] = hex;
    out.push({ name: typeof entry.name === 'string' ? entry.name : '', digest });
  }
  return out;
}

/**
 * Reads a signed envelope's payload as an in-toto Statement about `digest` (`sha256:<hex>`): the payloadType must
 * be in-toto's, `_type` v1 or v0.1, `predicateType` a string, and some `subject[].digest.sha256` equal to the
 * digest's hex (lowercase compare). The subject name is informational. `where` names the envelope in messages.
 */
export function readStatement(envelope: DsseEnvelope, digest: string, where: string): InTotoStatement | StatementFailure {
  if (!IN_TOTO_PAYLOAD_TYPE.test(envelope.payloadType)) {
    return {
      reason: 'UNSUPPORTED_PAYLOAD_TYPE',
      message: `${where} has payloadType ${JSON.stringify(envelope.payloadType)}; an in-toto statement needs application/vnd.in-toto+json`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(envelope.payload));
  } catch {
    return { reason: 'NOT_A_STATEMENT', message: `${where} has a payload that is not UTF-8 JSON` };
  }
  if (!isObject(json)) return { reason: 'NOT_A_STATEMENT', message: `${where} has a payload that is not a JSON object` };
  const type = json._type;
  if (typeof type !== 'string' || !STATEMENT_TYPES.includes(type)) {
    return {
      reason: 'UNKNOWN_STATEMENT_TYPE',
      message: `${where} has statement _type ${JSON.stringify(type ?? null)}; accepted: ${STATEMENT_TYPES.join(', ')}`,
    };
  }
  const subject = readSubjects(json.subject);
  if (subject === undefined || typeof json.predicateType !== 'string' || json.predicateType === '') {
    return { reason: 'NOT_A_STATEMENT', message: `${where} has a statement without subjects (name, digest) or predicateType` };
  }
  const hex = digest.replace(/^sha256:/, '');
  if (!SHA256_HEX.test(hex) || !subject.some((s) => s.digest.sha256?.toLowerCase() === hex)) {
    return { reason: 'SUBJECT_MISMATCH', message: `${where} has no subject with digest ${digest}` };
  }
  const predicate = isObject(json.predicate) ? json.predicate : {};
  return { type, predicateType: json.predicateType, subject, predicate, json };
}
