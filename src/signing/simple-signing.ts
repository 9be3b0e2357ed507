import { invalidArgument } from '../domain/api-error';
import { fullRepository, parseDigest, parseImageReference } from '../domain/image-reference';

/** The `critical.type` attestd writes (Kritis and containers/image spelling). */
export const ATOMIC_SIGNATURE_TYPE = 'atomic container signature';
/** Payload types accepted on verification: Kritis/containers, Google's gcloud, cosign's simple signing. */
export const ACCEPTED_PAYLOAD_TYPES: readonly string[] = [
  ATOMIC_SIGNATURE_TYPE,
  'Google cloud binauthz container signature',
  'cosign container image signature',
];
/** Largest payload parsed or built; real ones are a few hundred bytes. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** What a simple-signing payload asserts. */
export interface SimpleSigningClaims {
  /** `critical.identity.docker-reference` as written (not normalized). */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`, checked to be `sha256:<64 lowercase hex>`. */
  digest: string;
  type: string;
}

/**
 * Builds the compact simple-signing JSON attestd signs. `repository` is normalized (`alpine` becomes
 * `docker.io/library/alpine`) and must carry no tag or digest; `timestamp` is Unix seconds.
 */
export function buildPayload(input: { repository: string; digest: string; creator?: string; timestamp: number }): Buffer {
  const ref = parseImageReference(input.repository);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw invalidArgument(`docker-reference ${JSON.stringify(input.repository)} must be a repository without tag or digest`);
  }
  const digest = parseDigest(input.digest, 'docker-manifest-digest');
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw invalidArgument(`payload timestamp must be whole non-negative Unix seconds, got ${input.timestamp}`);
  }
  const optional: Record<string, unknown> = {};
  if (input.creator !== undefined) optional.creator = input.creator;
  optional.timestamp = input.timestamp;
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': fullRepository(ref) },
        image: { 'docker-manifest-digest': digest },
        type: ATOMIC_SIGNATURE_TYPE,
      },
      optional,
    }),
    'utf8',
  );
  if (payload.length > MAX_PAYLOAD_BYTES) throw invalidArgument(`payload would exceed ${MAX_PAYLOAD_BYTES} bytes`);
  return payload;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses keys a "critical" object does not define: critical fields must be understood, not skipped. */
function onlyKeys(where: string, value: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalidArgument(`payload ${where} has unknown field ${JSON.stringify(extra[0])}`);
}

/** `payload`, `payload critical`, … for messages. */
const at = (where: string): string => (where === '' ? 'payload' : `payload ${where}`);
const join = (where: string, key: string): string => (where === '' ? key : `${where}.${key}`);

function field(where: string, value: Record<string, unknown>, key: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(value, key)) throw invalidArgument(`${at(where)} is missing ${JSON.stringify(key)}`);
  return value[key];
}

function objectField(where: string, value: Record<string, unknown>, key: string): Record<string, unknown> {
  const found = field(where, value, key);
  if (!isObject(found)) throw invalidArgument(`payload ${join(where, key)} must be an object`);
  return found;
}

function stringField(where: string, value: Record<string, unknown>, key: string): string {
  const found = field(where, value, key);
  if (typeof found !== 'string') throw invalidArgument(`payload ${join(where, key)} must be a string`);
  return found;
}

/**
 * Reads the claims of a simple-signing payload (exact stored bytes). Throws INVALID_ARGUMENT naming the first
 * problem: too large, not UTF-8 JSON, a missing or unknown critical field, an unaccepted type, a bad digest.
 * The docker-reference is returned as written; callers normalize it with parseImageReference.
 */
export function parsePayload(bytes: Buffer): SimpleSigningClaims {
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw invalidArgument(`payload is ${bytes.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidArgument('payload is not valid UTF-8');
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`payload is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(root)) throw invalidArgument('payload must be a JSON object');
  const critical = objectField('', root, 'critical');
  onlyKeys('critical', critical, ['identity', 'image', 'type']);
  const identity = objectField('critical', critical, 'identity');
  onlyKeys('critical.identity', identity, ['docker-reference']);
  const image = objectField('critical', critical, 'image');
  onlyKeys('critical.image', image, ['docker-manifest-digest']);
  const type = stringField('critical', critical, 'type');
  if (!ACCEPTED_PAYLOAD_TYPES.includes(type)) {
    throw invalidArgument(
      `payload critical.type ${JSON.stringify(type)} is not accepted; expected one of ${ACCEPTED_PAYLOAD_TYPES.map((t) => JSON.stringify(t)).join(', ')}`,
    );
  }
  const dockerReference = stringField('critical.identity', identity, 'docker-reference');
  const digest = parseDigest(stringField('critical.image', image, 'docker-manifest-digest'), 'payload docker-manifest-digest');
  if ('optional' in root && root.optional !== null && !isObject(root.optional)) {
    throw invalidArgument('payload optional must be an object or null');
  }
  return { dockerReference, digest, type };
}
