import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { ApiError } from '../domain/api-error';
import { signWith } from '../signing/signature-algorithms';
import { open, seal } from './envelope';
import type { GeneratedKey, KeyProvider } from './key-provider';
import { KEY_SPECS, type KeySpec } from './key-specs';
import type { MasterKey } from './master-key';

const generateKeyPair = promisify(crypto.generateKeyPair);

/** Keys generated with node:crypto, private parts sealed under the master key (AES-256-GCM envelope). */
export class LocalKeyProvider implements KeyProvider {
  constructor(private readonly master: MasterKey) {}

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

  async sign(material: Buffer, materialKeyId: string, versionName: string, algorithm: string, data: Buffer): Promise<Buffer> {
    if (materialKeyId !== this.master.id) {
      throw new ApiError(
        'FAILED_PRECONDITION',
        `key version ${versionName} is sealed under master key ${materialKeyId}, but this server has master key ${this.master.id}; configure the same MASTER_KEY on every replica`,
      );
    }
    const der = open(this.master, material, versionName);
    try {
      const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      return signWith(privateKey, algorithm, data);
    } finally {
      der.fill(0);
    }
  }
}
