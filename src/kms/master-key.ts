import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import { ensureDataDir } from '../data-dir';

/** The key-encryption key of the local KMS, with a short id recorded next to everything it wraps. */
export interface MasterKey {
  readonly key: Buffer;
  readonly id: string;
}

/** Derives the id stored with wrapped keys, so a wrong master key is reported as such rather than as corruption. */
export function masterKeyId(key: Buffer): string {
  return crypto.createHash('sha256').update('attestd master key id\0').update(key).digest('hex').slice(0, 16);
}

/**
 * Loads MASTER_KEY (base64 of 32 bytes) or MASTER_KEY_FILE; without either, uses (or creates, mode 0600)
 * DATA_DIR/master.key. Replicas must share one master key.
 */
export function loadMasterKey(options: { masterKey?: string; masterKeyFile?: string; dataDir: string; logger: Logger }): MasterKey {
  if (options.masterKey) return fromBase64(options.masterKey, 'MASTER_KEY');
  if (options.masterKeyFile) {
    let text: string;
    try {
      text = fs.readFileSync(options.masterKeyFile, 'utf8');
    } catch (err) {
      throw new Error(`MASTER_KEY_FILE ${options.masterKeyFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return fromBase64(text.trim(), `MASTER_KEY_FILE ${options.masterKeyFile}`);
  }
  const file = path.join(options.dataDir, 'master.key');
  if (!fs.existsSync(file)) {
    ensureDataDir(options.dataDir);
    const fd = fs.openSync(file, 'wx', 0o600);
    fs.writeSync(fd, `${crypto.randomBytes(32).toString('base64')}\n`);
    fs.closeSync(fd);
    options.logger.warn(
      { file },
      'generated a master key for the local KMS; it is fine for one node, but replicas must share one key (set MASTER_KEY or MASTER_KEY_FILE) and losing it loses every private key',
    );
  }
  return fromBase64(fs.readFileSync(file, 'utf8').trim(), `master key file ${file}`);
}

function fromBase64(text: string, source: string): MasterKey {
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new Error(`${source} must be the base64 encoding of exactly 32 random bytes (e.g. \`openssl rand -base64 32\`)`);
  }
  return { key, id: masterKeyId(key) };
}
