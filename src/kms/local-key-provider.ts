import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { ApiError } from '../domain/api-error';
import { signInPool } from '../signing/signature-algorithms';
import { open, seal } from './envelope';
import type { GeneratedKey, KeyProvider } from './key-provider';
import { KEY_SPECS, type KeySpec } from '../domain/key-specs';
import type { MasterKey } from './master-key';

const generateKeyPair = promisify(crypto.generateKeyPair);

/** How long and how many opened private keys stay parsed in memory (as KeyObjects, never as bytes in the JS heap). */
export const PARSED_KEY_TTL_MS = 10 * 60_000;
const PARSED_KEY_MAX = 1000;

/**
 * Keys generated with node:crypto, private parts sealed under the master key (AES-256-GCM envelope).
 * Opening and parsing a sealed RSA key costs about as much as the signature itself, so a version's opened
 * key is kept as a KeyObject for PARSED_KEY_TTL_MS, keyed by the version and a digest of its sealed
 * material (re-sealed material is a different entry). Whether a version may sign (enabled, not destroyed)
 * is decided by the caller from the database before every signature, not by this cache.
 */
export class LocalKeyProvider implements KeyProvider {
  private readonly parsed = new Map<string, { key: crypto.KeyObject; expires: number }>();

  constructor(
    private readonly master: MasterKey,
    private readonly now: () => number = Date.now,
  ) {}

  async generate(spec: KeySpec, versionName: string): Promise<GeneratedKey> {
    const info = KEY_SPECS[spec];
    const pair =
      info.type === 'rsa'
        ? await generateKeyPair('rsa', { modulusLength: info.bits!, publicExponent: 0x10001 })
        : await generateKeyPair('ec', { namedCurve: info.curve! });
    const privateDer = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    try {
      return {
        publicKeyPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        material: seal(this.master, privateDer, versionName),
        materialKeyId: this.master.id,
      };
    } finally {
      privateDer.fill(0);
    }
  }

  // async turns a refusal or a key that cannot be opened into a rejection
  async sign(material: Buffer, materialKeyId: string, versionName: string, algorithm: string, data: Buffer): Promise<Buffer> {
    if (materialKeyId !== this.master.id) {
      throw new ApiError(
        'FAILED_PRECONDITION',
        `key version ${versionName} is sealed under master key ${materialKeyId}, but this server has master key ${this.master.id}; configure the same MASTER_KEY on every replica`,
      );
    }
    return signInPool(this.privateKey(material, versionName), algorithm, data);
  }

  private privateKey(material: Buffer, versionName: string): crypto.KeyObject {
    const id = `${versionName}\n${crypto.createHash('sha256').update(material).digest('base64')}`;
    const now = this.now();
    const hit = this.parsed.get(id);
    if (hit && hit.expires > now) return hit.key;
    const der = open(this.master, material, versionName);
    try {
      const key = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      if (this.parsed.size >= PARSED_KEY_MAX) {
        for (const [k, v] of this.parsed) if (v.expires <= now) this.parsed.delete(k);
        if (this.parsed.size >= PARSED_KEY_MAX) this.parsed.clear();
      }
      this.parsed.set(id, { key, expires: now + PARSED_KEY_TTL_MS });
      return key;
    } finally {
      der.fill(0);
    }
  }
}
