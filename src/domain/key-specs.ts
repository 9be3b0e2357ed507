import { invalidArgument } from './api-error';

export type KeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'EC_P256' | 'EC_P384';
export type KeyPurpose = 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT';

interface SpecInfo {
  readonly type: 'rsa' | 'ec';
  readonly bits?: number;
  readonly curve?: string;
  /** Signing algorithms this spec allows; the first is the default. */
  readonly signing: readonly string[];
  readonly encryption?: string;
}

/** What each key spec generates and which algorithms it may use (Cloud KMS names). */
export const KEY_SPECS: Readonly<Record<KeySpec, SpecInfo>> = {
  RSA_2048: {
    type: 'rsa',
    bits: 2048,
    signing: ['RSA_SIGN_PSS_2048_SHA256', 'RSA_SIGN_PKCS1_2048_SHA256'],
    encryption: 'RSA_DECRYPT_OAEP_2048_SHA256',
  },
  RSA_3072: {
    type: 'rsa',
    bits: 3072,
    signing: ['RSA_SIGN_PSS_3072_SHA256', 'RSA_SIGN_PKCS1_3072_SHA256'],
    encryption: 'RSA_DECRYPT_OAEP_3072_SHA256',
  },
  RSA_4096: {
    type: 'rsa',
    bits: 4096,
    signing: ['RSA_SIGN_PSS_4096_SHA256', 'RSA_SIGN_PSS_4096_SHA512', 'RSA_SIGN_PKCS1_4096_SHA256', 'RSA_SIGN_PKCS1_4096_SHA512'],
    encryption: 'RSA_DECRYPT_OAEP_4096_SHA256',
  },
  EC_P256: { type: 'ec', curve: 'prime256v1', signing: ['EC_SIGN_P256_SHA256'] },
  EC_P384: { type: 'ec', curve: 'secp384r1', signing: ['EC_SIGN_P384_SHA384'] },
};

/** Checks a spec/purpose/algorithm combination and returns the algorithm the key will use. */
export function keyAlgorithm(spec: KeySpec, purpose: KeyPurpose, requested: string | undefined): string {
  const info = KEY_SPECS[spec];
  if (purpose === 'ENCRYPT_DECRYPT') {
    if (!info.encryption) {
      throw invalidArgument(`keySpec ${spec} cannot encrypt; ENCRYPT_DECRYPT keys must be RSA_2048, RSA_3072 or RSA_4096`);
    }
    if (requested && requested !== info.encryption)
      throw invalidArgument(`algorithm for an ENCRYPT_DECRYPT ${spec} key must be ${info.encryption}`);
    return info.encryption;
  }
  if (!requested) return info.signing[0]!;
  if (!info.signing.includes(requested)) {
    throw invalidArgument(`algorithm ${requested} does not fit keySpec ${spec}; use one of ${info.signing.join(', ')}`);
  }
  return requested;
}
