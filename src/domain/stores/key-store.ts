import type { KeyPurpose, KeySpec } from '../key-specs';

export type KeyState = 'ENABLED' | 'DISABLED';

/** A key as stored (without any version material). */
export interface KeyRecord {
  readonly projectId: string;
  readonly keyId: string;
  readonly keySpec: KeySpec;
  readonly purpose: KeyPurpose;
  readonly algorithm: string;
  readonly description: string;
  readonly state: KeyState;
  readonly primaryVersion: number;
  readonly createTime: string;
  readonly updateTime: string;
}

/** A key version's public part. */
export interface KeyVersionRecord {
  readonly version: number;
  readonly algorithm: string;
  readonly publicKeyPem: string;
  readonly createTime: string;
}

/** A key version with its sealed private material, read only to sign. */
export interface SigningMaterial extends KeyVersionRecord {
  readonly material: Buffer;
  readonly materialKeyId: string;
}

/** Storage of keys and key versions. */
export interface KeyStore {
  /** Inserts a key and its first version; false when the key id is taken. */
  insert(key: KeyRecord, version: SigningMaterial): Promise<boolean>;
  get(projectId: string, keyId: string, forUpdate?: boolean): Promise<KeyRecord | undefined>;
  list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<{ items: KeyRecord[]; nextPageToken: string }>;
  versions(projectId: string, keyId: string): Promise<KeyVersionRecord[]>;
  /** Public parts of the versions of several keys at once, with each key's state, keyed by "projects/p/keys/k". */
  versionsOf(keys: readonly { projectId: string; keyId: string }[]): Promise<Map<string, (KeyVersionRecord & { keyState: KeyState })[]>>;
  signingMaterial(projectId: string, keyId: string, version: number): Promise<SigningMaterial | undefined>;
  addVersion(projectId: string, keyId: string, version: SigningMaterial): Promise<void>;
  update(key: KeyRecord): Promise<void>;
}
