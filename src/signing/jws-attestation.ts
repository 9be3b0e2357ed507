import { compactVerify } from 'jose';
import type { VerificationKey } from './verify-attestation';

/** Longest compact JWS looked at. */
export const MAX_JWT_CHARS = 256 * 1024;
/** JWS algorithms accepted on `attestation.jwts` (no `none`, no HMAC: a witness holds public keys only). */
const JWS_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'];

/** A JWS whose signature verified: its payload bytes and the key that verified it. */
export type VerifiedJws = { payload: Buffer; keyId: string };
export type JwsFailure = { reason: 'MALFORMED_JWT' | 'BAD_SIGNATURE'; message: string };

/**
 * Verifies a compact JWS against every enabled key (`kid` is a hint, as DSSE keyids are), with jose. Only
 * asymmetric algorithms are accepted; jose refuses a key that does not fit the header's `alg`.
 */
export async function verifyCompactJws(
  compact: string,
  keys: readonly VerificationKey[],
  where: string,
): Promise<VerifiedJws | JwsFailure> {
  if (compact.length > MAX_JWT_CHARS || compact.split('.').length !== 3) {
    return { reason: 'MALFORMED_JWT', message: `${where} is not a compact JWS (header.payload.signature)` };
  }
  for (const key of keys) {
    if (!key.enabled) continue;
    try {
      const result = await compactVerify(compact, key.publicKey, { algorithms: JWS_ALGORITHMS });
      return { payload: Buffer.from(result.payload), keyId: key.keyId };
    } catch {
      // Not this key (or not a JWS at all): try the next one.
    }
  }
  return { reason: 'BAD_SIGNATURE', message: `${where} is not signed by any enabled key of this witness` };
}
