import crypto from 'node:crypto';
import { invalidArgument } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import type { ExternalKey } from '../domain/resources/witness-spec';
import { checkKeyFitsAlgorithm, keyIdFor } from '../signing/signature-algorithms';

/**
 * Validates a witness's external public keys (`field` is "witness.publicKeys"): each a PEM public key, never a
 * private one, fitting its algorithm; the key id defaults to the ni:/// digest. PEMs are re-exported as SPKI.
 */
export function parseExternalKeys(value: unknown, field: string, max: number): ExternalKey[] {
  if (value !== undefined && value !== null && !Array.isArray(value))
    throw invalidArgument(`${field} must be a list of PkixPublicKey messages`);
  const list = (value ?? []) as unknown[];
  if (list.length > max) throw invalidArgument(`a witness may have at most ${max} publicKeys`);
  return list.map((entry, i) => {
    const at = `${field}[${i}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw invalidArgument(`${at} must be a PkixPublicKey message`);
    const k = entry as JsonObject;
    const pem = typeof k.pem === 'string' ? k.pem : '';
    // crypto.createPublicKey derives the public half of a private key PEM, so refuse private keys before it.
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) throw invalidArgument(`${at}.pem must be a public key, never a private one`);
    let publicKey: crypto.KeyObject;
    try {
      publicKey = crypto.createPublicKey(pem);
    } catch {
      throw invalidArgument(`${at}.pem is not a PEM public key (expected "-----BEGIN PUBLIC KEY-----", PKIX SubjectPublicKeyInfo)`);
    }
    if (publicKey.type !== 'public') throw invalidArgument(`${at}.pem must be a public key, never a private one`);
    const algorithm = typeof k.algorithm === 'string' ? k.algorithm : '';
    if (!algorithm) throw invalidArgument(`${at}.algorithm is required, e.g. RSA_SIGN_PSS_2048_SHA256 or ECDSA_P256_SHA256`);
    try {
      checkKeyFitsAlgorithm(publicKey, algorithm);
    } catch (err) {
      throw invalidArgument(`${at}: ${(err as Error).message}`);
    }
    const keyId = typeof k.keyId === 'string' && k.keyId ? k.keyId : keyIdFor(publicKey);
    return { keyId, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), algorithm };
  });
}
