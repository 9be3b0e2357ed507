import type { KeyRecord, KeyState, KeyStore, KeyVersionRecord, SigningMaterial } from '../../domain/stores/key-store';
import type { PageTokens } from '../page-token';
import { compareCodePoints } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { KEY_VERSIONS, KEYS, PROJECTS, type KeyVersionRow } from './memory-schema';
import { MemoryStorageError, requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, thaw, timestamp } from './stored-values';

/** Keys and key versions in memory. Only signingMaterial() hands out the sealed private parts. */
export class MemoryKeyStore implements KeyStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async insert(key: KeyRecord, version: SigningMaterial): Promise<boolean> {
    requireParent(this.tables.table(PROJECTS).get(rowKey(key.projectId)) !== undefined, `project ${key.projectId}`);
    const keys = this.tables.table(KEYS);
    const row = keyRow(key);
    if (keys.get(keys.keyOf(row))) return false;
    const versionRow = this.versionRow(key.projectId, key.keyId, version, true);
    keys.put(row);
    this.tables.table(KEY_VERSIONS).put(versionRow);
    return true;
  }

  async get(projectId: string, keyId: string): Promise<KeyRecord | undefined> {
    const row = this.tables.table(KEYS).get(rowKey(projectId, keyId));
    return row ? thaw(row) : undefined;
  }

  async list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<{ items: KeyRecord[]; nextPageToken: string }> {
    const rows = this.tables
      .table(KEYS)
      .rows()
      .filter((k) => k.projectId === projectId);
    return memoryPage(this.tokens, rows, { key: (k) => k.keyId, scope: `keys|${projectId}`, pageSize, pageToken }, thaw);
  }

  async versions(projectId: string, keyId: string): Promise<KeyVersionRecord[]> {
    return this.versionRows(projectId, keyId).map(publicPart);
  }

  async versionsOf(
    keys: readonly { projectId: string; keyId: string }[],
  ): Promise<Map<string, (KeyVersionRecord & { keyState: KeyState })[]>> {
    const result = new Map<string, (KeyVersionRecord & { keyState: KeyState })[]>();
    const sorted = [...new Map(keys.map((k) => [rowKey(k.projectId, k.keyId), k])).values()].sort(
      (a, b) => compareCodePoints(a.projectId, b.projectId) || compareCodePoints(a.keyId, b.keyId),
    );
    for (const k of sorted) {
      const key = this.tables.table(KEYS).get(rowKey(k.projectId, k.keyId));
      const versions = this.versionRows(k.projectId, k.keyId);
      if (!key || versions.length === 0) continue;
      result.set(
        `projects/${k.projectId}/keys/${k.keyId}`,
        versions.map((v) => ({ ...publicPart(v), keyState: key.state })),
      );
    }
    return result;
  }

  async signingMaterial(projectId: string, keyId: string, version: number): Promise<SigningMaterial | undefined> {
    const row = this.tables.table(KEY_VERSIONS).get(rowKey(projectId, keyId, version));
    if (!row) return undefined;
    return { ...publicPart(row), material: Buffer.from(row.material), materialKeyId: row.materialKeyId };
  }

  async addVersion(projectId: string, keyId: string, version: SigningMaterial): Promise<void> {
    requireParent(this.tables.table(KEYS).get(rowKey(projectId, keyId)) !== undefined, `key projects/${projectId}/keys/${keyId}`);
    this.tables.table(KEY_VERSIONS).put(this.versionRow(projectId, keyId, version, false));
  }

  async update(key: KeyRecord): Promise<void> {
    const keys = this.tables.table(KEYS);
    const row = keyRow(key);
    if (keys.get(keys.keyOf(row))) keys.put(row);
  }

  private versionRows(projectId: string, keyId: string): KeyVersionRow[] {
    return this.tables
      .table(KEY_VERSIONS)
      .rows()
      .filter((v) => v.projectId === projectId && v.keyId === keyId)
      .sort((a, b) => a.version - b.version);
  }

  /** A version as stored; a duplicate (key, version) is refused like the primary key refuses it. */
  private versionRow(projectId: string, keyId: string, v: SigningMaterial, newKey: boolean): KeyVersionRow {
    if (!Number.isInteger(v.version))
      throw new MemoryStorageError('invalid-value', `invalid input syntax for type integer: "${v.version}"`);
    if (!newKey && this.tables.table(KEY_VERSIONS).get(rowKey(projectId, keyId, v.version)))
      throw new MemoryStorageError('unique', `duplicate key version projects/${projectId}/keys/${keyId}/versions/${v.version}`);
    const row: KeyVersionRow = {
      projectId,
      keyId,
      version: v.version,
      algorithm: v.algorithm,
      publicKeyPem: v.publicKeyPem,
      material: Buffer.from(v.material),
      materialKeyId: v.materialKeyId,
      createTime: timestamp(v.createTime),
    };
    checkText(row);
    return Object.freeze(row);
  }
}

function keyRow(k: KeyRecord): KeyRecord {
  checkText(k);
  return Object.freeze({
    projectId: k.projectId,
    keyId: k.keyId,
    keySpec: k.keySpec,
    purpose: k.purpose,
    algorithm: k.algorithm,
    description: k.description,
    state: k.state,
    primaryVersion: k.primaryVersion,
    createTime: timestamp(k.createTime),
    updateTime: timestamp(k.updateTime),
  });
}

function publicPart(v: KeyVersionRow): KeyVersionRecord {
  return { version: v.version, algorithm: v.algorithm, publicKeyPem: v.publicKeyPem, createTime: v.createTime };
}
