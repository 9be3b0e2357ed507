import crypto from 'node:crypto';
import { invalidArgument } from '../domain/api-error';

/** How a signature is made: RSASSA-PSS, RSASSA-PKCS1-v1_5, ECDSA or Ed25519 (pure, no pre-hash). */
export type SignatureScheme = 'RSA_PSS' | 'RSA_PKCS1' | 'ECDSA' | 'ED25519';
export type HashName = 'sha256' | 'sha384' | 'sha512';
/** node:crypto's names for the NIST curves. */
export type CurveName = 'prime256v1' | 'secp384r1' | 'secp521r1';

/** One named signature algorithm (Cloud KMS / Binary Authorization spelling) and its node:crypto parameters. */
export interface SignatureAlgorithm {
  name: string;
  scheme: SignatureScheme;
  hash: HashName;
  /** RSA modulus size the name promises. */
  keyBits?: number;
  curve?: CurveName;
}

const HASH_BYTES: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48, sha512: 64 };
/** Bytes of one ECDSA scalar, for raw (IEEE P1363) r||s signatures. */
const CURVE_BYTES: Readonly<Record<CurveName, number>> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };
const CURVE_HASH: Readonly<Record<CurveName, HashName>> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

function rsa(scheme: 'RSA_PSS' | 'RSA_PKCS1', keyBits: number, hash: HashName, ...names: string[]): SignatureAlgorithm[] {
  return names.map((name) => ({ name, scheme, hash, keyBits }));
}
function ec(curve: CurveName, ...names: string[]): SignatureAlgorithm[] {
  return names.map((name) => ({ name, scheme: 'ECDSA', hash: CURVE_HASH[curve], curve }));
}

/** Every accepted algorithm name; Cloud KMS and Binary Authorization spellings of one algorithm share parameters. */
export const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  [
    ...rsa('RSA_PSS', 2048, 'sha256', 'RSA_SIGN_PSS_2048_SHA256', 'RSA_PSS_2048_SHA256'),
    ...rsa('RSA_PSS', 3072, 'sha256', 'RSA_SIGN_PSS_3072_SHA256', 'RSA_PSS_3072_SHA256'),
    ...rsa('RSA_PSS', 4096, 'sha256', 'RSA_SIGN_PSS_4096_SHA256', 'RSA_PSS_4096_SHA256'),
    ...rsa('RSA_PSS', 4096, 'sha512', 'RSA_SIGN_PSS_4096_SHA512', 'RSA_PSS_4096_SHA512'),
    ...rsa('RSA_PKCS1', 2048, 'sha256', 'RSA_SIGN_PKCS1_2048_SHA256'),
    ...rsa('RSA_PKCS1', 3072, 'sha256', 'RSA_SIGN_PKCS1_3072_SHA256'),
    ...rsa('RSA_PKCS1', 4096, 'sha256', 'RSA_SIGN_PKCS1_4096_SHA256'),
    ...rsa('RSA_PKCS1', 4096, 'sha512', 'RSA_SIGN_PKCS1_4096_SHA512'),
    ...ec('prime256v1', 'EC_SIGN_P256_SHA256', 'ECDSA_P256_SHA256'),
    ...ec('secp384r1', 'EC_SIGN_P384_SHA384', 'ECDSA_P384_SHA384'),
    ...ec('secp521r1', 'EC_SIGN_P521_SHA512', 'ECDSA_P521_SHA512'),
    ...['EC_SIGN_ED25519', 'PURE_ED25519'].map((name): SignatureAlgorithm => ({ name, scheme: 'ED25519', hash: 'sha512' })),
  ].map((a) => [a.name, Object.freeze(a)] as const),
);

/** Looks an algorithm up by name; throws INVALID_ARGUMENT listing the accepted names. */
export function lookupAlgorithm(name: string): SignatureAlgorithm {
  const found = SIGNATURE_ALGORITHMS.get(name);
  if (found === undefined) {
    throw invalidArgument(
      `signature algorithm ${JSON.stringify(name)} is not supported; use one of ${[...SIGNATURE_ALGORITHMS.keys()].join(', ')}`,
    );
  }
  return found;
}

/** The key's shape as node:crypto reports it, or undefined for key types we cannot sign or verify with. */
function keyShape(
  key: crypto.KeyObject,
): { kind: 'rsa' | 'rsa-pss'; bits: number } | { kind: 'ec'; curve: CurveName } | { kind: 'ed25519' } | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ed25519') return { kind: 'ed25519' };
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return { kind: key.asymmetricKeyType, bits: details.modulusLength ?? 0 };
  }
  if (key.asymmetricKeyType === 'ec' && details.namedCurve !== undefined && details.namedCurve in CURVE_BYTES) {
    return { kind: 'ec', curve: details.namedCurve as CurveName };
  }
  return undefined;
}

/** Why a key cannot be used with an algorithm, or undefined when it can. */
function misfit(key: crypto.KeyObject, algorithm: SignatureAlgorithm): string | undefined {
  const shape = keyShape(key);
  if (shape === undefined) return `a ${key.asymmetricKeyType ?? 'symmetric'} key cannot be used for ${algorithm.name}`;
  if (algorithm.scheme === 'ED25519') return shape.kind === 'ed25519' ? undefined : `${algorithm.name} needs an Ed25519 key`;
  if (shape.kind === 'ed25519') return `${algorithm.name} cannot use an Ed25519 key`;
  if (algorithm.scheme === 'ECDSA') {
    if (shape.kind !== 'ec') return `${algorithm.name} needs an EC key, got ${shape.kind.toUpperCase()}`;
    return shape.curve === algorithm.curve ? undefined : `${algorithm.name} needs curve ${algorithm.curve}, got ${shape.curve}`;
  }
  if (shape.kind === 'ec') return `${algorithm.name} needs an RSA key, got EC`;
  if (shape.kind === 'rsa-pss' && algorithm.scheme === 'RSA_PKCS1') return `${algorithm.name} cannot use an RSA-PSS-only key`;
  return shape.bits === algorithm.keyBits
    ? undefined
    : `${algorithm.name} needs a ${algorithm.keyBits}-bit RSA key, got ${shape.bits} bits`;
}

/** Throws INVALID_ARGUMENT unless the key matches the algorithm (type, curve, RSA size): check external keys when they are registered. */
export function checkKeyFitsAlgorithm(publicKey: crypto.KeyObject, algorithmName: string): SignatureAlgorithm {
  const algorithm = lookupAlgorithm(algorithmName);
  const problem = misfit(publicKey, algorithm);
  if (problem !== undefined) throw invalidArgument(`public key does not match its algorithm: ${problem}`);
  return algorithm;
}

/**
 * Signs with node:crypto. RSA-PSS uses a salt as long as the digest (32 bytes for SHA-256, as Cloud KMS does);
 * ECDSA signatures are DER. Throws INVALID_ARGUMENT when the key does not fit the algorithm.
 */
export function signWith(privateKey: crypto.KeyObject, algorithmName: string, data: Buffer): Buffer {
  const { hash, key } = signingParameters(privateKey, algorithmName);
  return crypto.sign(hash, data, key);
}

/**
 * `signWith` off the event loop: node:crypto signs in libuv's thread pool (an RSA-2048 signature is ~1–2 ms of
 * CPU that would otherwise stall every request this process serves meanwhile).
 */
export function signInPool(privateKey: crypto.KeyObject, algorithmName: string, data: Buffer): Promise<Buffer> {
  const { hash, key } = signingParameters(privateKey, algorithmName);
  return new Promise((resolve, reject) => crypto.sign(hash, data, key, (err, signature) => (err ? reject(err) : resolve(signature))));
}

/** node:crypto's hash and key options for signing with the key under the algorithm; INVALID_ARGUMENT when they do not fit. */
function signingParameters(privateKey: crypto.KeyObject, algorithmName: string): { hash: HashName | null; key: crypto.SignKeyObjectInput } {
  const algorithm = lookupAlgorithm(algorithmName);
  const problem = misfit(privateKey, algorithm);
  if (problem !== undefined) throw invalidArgument(`signing key does not match its algorithm: ${problem}`);
  if (algorithm.scheme === 'ED25519') return { hash: null, key: { key: privateKey } };
  if (algorithm.scheme === 'ECDSA') return { hash: algorithm.hash, key: { key: privateKey, dsaEncoding: 'der' } };
  if (algorithm.scheme === 'RSA_PKCS1')
    return { hash: algorithm.hash, key: { key: privateKey, padding: crypto.constants.RSA_PKCS1_PADDING } };
  return {
    hash: algorithm.hash,
    key: { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[algorithm.hash] },
  };
}

type VerifyKey = crypto.VerifyKeyObjectInput & { dsaEncoding?: 'der' | 'ieee-p1363' };

/** The (hash, key options) pairs a signature may be checked under, most likely first. */
function attempts(
  key: crypto.KeyObject,
  algorithm: SignatureAlgorithm | undefined,
  signature: Buffer,
): Array<[HashName | null, VerifyKey]> {
  const shape = keyShape(key);
  if (shape === undefined) return [];
  if (algorithm !== undefined && misfit(key, algorithm) !== undefined) return [];
  if (shape.kind === 'ed25519') return [[null, { key }]];
  if (shape.kind === 'ec') {
    const hash = algorithm?.hash ?? CURVE_HASH[shape.curve];
    const out: Array<[HashName, VerifyKey]> = [[hash, { key, dsaEncoding: 'der' }]];
    // Raw r||s (IEEE P1363, as JOSE and some HSMs write it) has exactly two scalars' length; DER never does for these curves.
    if (signature.length === 2 * CURVE_BYTES[shape.curve]) out.push([hash, { key, dsaEncoding: 'ieee-p1363' }]);
    return out;
  }
  const pss: crypto.VerifyKeyObjectInput = {
    key,
    padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
    saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO,
  };
  const pkcs1: crypto.VerifyKeyObjectInput = { key, padding: crypto.constants.RSA_PKCS1_PADDING };
  const paddings = shape.kind === 'rsa-pss' ? [pss] : algorithm?.scheme === 'RSA_PKCS1' ? [pkcs1, pss] : [pss, pkcs1];
  const hashes: HashName[] = algorithm !== undefined ? [algorithm.hash] : ['sha256', 'sha512'];
  return hashes.flatMap((hash) => paddings.map((p): [HashName, VerifyKey] => [hash, p]));
}

/**
 * True when `signature` is a valid signature of `data` under `publicKey`. With an algorithm, its hash is used and
 * the key must fit it; RSA accepts PSS with any salt length and PKCS#1 v1.5 either way (as the contract says);
 * without one, SHA-256 and SHA-512 are tried for RSA and the curve's hash for EC. ECDSA accepts DER and raw r||s;
 * Ed25519 keys verify pure Ed25519.
 * Never throws: garbage, truncated or mismatched input gives false.
 */
export function verifySignature(input: { publicKey: crypto.KeyObject; algorithm?: string; data: Buffer; signature: Buffer }): boolean {
  try {
    const algorithm = input.algorithm === undefined ? undefined : SIGNATURE_ALGORITHMS.get(input.algorithm);
    if (input.algorithm !== undefined && algorithm === undefined) return false;
    if (input.signature.length === 0) return false;
    for (const [hash, key] of attempts(input.publicKey, algorithm, input.signature)) {
      try {
        if (crypto.verify(hash, input.data, key, input.signature)) return true;
      } catch {
        // A malformed signature for this padding or encoding: try the next one.
      }
    }
    return false;
  } catch {
    return false;
  }
}

/** Binary Authorization's PKIX key id: `ni:///sha-256;` + base64url(SHA-256(DER SubjectPublicKeyInfo)), no padding. */
export function keyIdFor(publicKey: crypto.KeyObject): string {
  const spki = (publicKey.type === 'private' ? crypto.createPublicKey(publicKey) : publicKey).export({ type: 'spki', format: 'der' });
  return `ni:///sha-256;${crypto.createHash('sha256').update(spki).digest('base64url')}`;
}
