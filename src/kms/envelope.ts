import crypto from 'node:crypto';
import type { MasterKey } from './master-key';

const VERSION = 1;
/** iv(12) + tag(16) + the 32-byte data key. */
const WRAPPED_KEY_BYTES = 60;

/**
 * AES-256-GCM envelope encryption: a fresh data key encrypts the secret, the master key encrypts the
 * data key; both bind `context` (the key version name) as associated data, so a blob cannot be moved
 * to another row. Layout: version(1) | iv(12) | tag(16) | wrapped data key(32) | iv(12) | tag(16) | ciphertext.
 */
export function seal(master: MasterKey, plaintext: Buffer, context: string): Buffer {
  const dataKey = crypto.randomBytes(32);
  const wrapped = gcmEncrypt(master.key, dataKey, context);
  const body = gcmEncrypt(dataKey, plaintext, context);
  dataKey.fill(0);
  return Buffer.concat([Buffer.from([VERSION]), wrapped, body]);
}

/** Opens a sealed blob; throws when the master key or context is wrong or the blob was altered. */
export function open(master: MasterKey, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 1 + WRAPPED_KEY_BYTES + 28 || sealed[0] !== VERSION) throw new Error('sealed key material has an unknown format');
  const dataKey = gcmDecrypt(master.key, sealed.subarray(1, 1 + WRAPPED_KEY_BYTES), context);
  try {
    return gcmDecrypt(dataKey, sealed.subarray(1 + WRAPPED_KEY_BYTES), context);
  } finally {
    dataKey.fill(0);
  }
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

function gcmDecrypt(key: Buffer, blob: Buffer, aad: string): Buffer {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(blob.subarray(12, 28));
  return Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
}
