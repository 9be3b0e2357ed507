import type { Knex } from 'knex';
import type { KeyPurpose, KeySpec } from '../domain/key-specs';
import type { KeyRecord, KeyState, KeyStore, KeyVersionRecord, SigningMaterial } from '../domain/stores/key-store';
import { keysetPage, plainPage } from './keyset-page';
import type { PageTokens } from './page-token';

const KEY_COLUMNS = [
  'project_id',
  'key_id',
  'key_spec',
  'purpose',
  'algorithm',
  'description',
  'state',
  'primary_version',
  'create_time',
  'update_time',
];
const PUBLIC_VERSION_COLUMNS = ['project_id', 'key_id', 'version', 'algorithm', 'public_key_pem', 'create_time'];

/** A row of `keys` as pg returns it. */
type KeyRow = {
  project_id: string;
  key_id: string;
  key_spec: KeySpec;
  purpose: KeyPurpose;
  algorithm: string;
  description: string;
  state: KeyState;
  primary_version: number;
  create_time: Date;
  update_time: Date;
};

/** The public columns of a `key_versions` row as pg returns them. */
type VersionRow = {
  version: number;
  algorithm: string;
  public_key_pem: string;
  create_time: Date;
};

/** Keys and key versions in Postgres. Only signingMaterial() reads the sealed private parts. */
export class PostgresKeyStore implements KeyStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async insert(key: KeyRecord, version: SigningMaterial): Promise<boolean> {
    const rows = await this.db('keys').insert(keyRow(key)).onConflict(['project_id', 'key_id']).ignore().returning('key_id');
    if (rows.length === 0) return false;
    await this.addVersion(key.projectId, key.keyId, version);
    return true;
  }

  async get(projectId: string, keyId: string, forUpdate = false): Promise<KeyRecord | undefined> {
    const q = this.db('keys').where({ project_id: projectId, key_id: keyId }).first(KEY_COLUMNS);
    if (forUpdate) q.forUpdate();
    const row = await q;
    return row ? toKey(row) : undefined;
  }

  async list(projectId: string, pageSize: number, pageToken: string | undefined): Promise<{ items: KeyRecord[]; nextPageToken: string }> {
    const base = this.db('keys').where({ project_id: projectId }).select(KEY_COLUMNS);
    return keysetPage(this.tokens, base, plainPage('key_id', `keys|${projectId}`, pageSize, pageToken), toKey);
  }

  async versions(projectId: string, keyId: string): Promise<KeyVersionRecord[]> {
    const rows = await this.db('key_versions')
      .where({ project_id: projectId, key_id: keyId })
      .select(PUBLIC_VERSION_COLUMNS)
      .orderBy('version');
    return rows.map(toVersion);
  }

  async versionsOf(
    keys: readonly { projectId: string; keyId: string }[],
  ): Promise<Map<string, (KeyVersionRecord & { keyState: KeyState })[]>> {
    const result = new Map<string, (KeyVersionRecord & { keyState: KeyState })[]>();
    if (keys.length === 0) return result;
    const rows = await this.db('key_versions as v')
      .join('keys as k', function () {
        this.on('k.project_id', 'v.project_id').andOn('k.key_id', 'v.key_id');
      })
      .whereIn(
        ['v.project_id', 'v.key_id'],
        keys.map((k) => [k.projectId, k.keyId]),
      )
      .select([...PUBLIC_VERSION_COLUMNS.map((c) => `v.${c}`), 'k.state as key_state'])
      .orderBy(['v.project_id', 'v.key_id', 'v.version']);
    for (const row of rows) {
      const name = `projects/${row.project_id}/keys/${row.key_id}`;
      const list = result.get(name) ?? [];
      list.push({ ...toVersion(row), keyState: row.key_state });
      result.set(name, list);
    }
    return result;
  }

  async signingMaterial(projectId: string, keyId: string, version: number): Promise<SigningMaterial | undefined> {
    const row = await this.db('key_versions')
      .where({ project_id: projectId, key_id: keyId, version })
      .first([...PUBLIC_VERSION_COLUMNS, 'material', 'material_key_id']);
    return row ? { ...toVersion(row), material: row.material, materialKeyId: row.material_key_id } : undefined;
  }

  async addVersion(projectId: string, keyId: string, v: SigningMaterial): Promise<void> {
    await this.db('key_versions').insert({
      project_id: projectId,
      key_id: keyId,
      version: v.version,
      algorithm: v.algorithm,
      public_key_pem: v.publicKeyPem,
      material: v.material,
      material_key_id: v.materialKeyId,
      create_time: v.createTime,
    });
  }

  async update(key: KeyRecord): Promise<void> {
    await this.db('keys').where({ project_id: key.projectId, key_id: key.keyId }).update(keyRow(key));
  }
}

function keyRow(k: KeyRecord) {
  return {
    project_id: k.projectId,
    key_id: k.keyId,
    key_spec: k.keySpec,
    purpose: k.purpose,
    algorithm: k.algorithm,
    description: k.description,
    state: k.state,
    primary_version: k.primaryVersion,
    create_time: k.createTime,
    update_time: k.updateTime,
  };
}

function toKey(row: KeyRow): KeyRecord {
  return {
    projectId: row.project_id,
    keyId: row.key_id,
    keySpec: row.key_spec,
    purpose: row.purpose,
    algorithm: row.algorithm,
    description: row.description,
    state: row.state,
    primaryVersion: row.primary_version,
    createTime: new Date(row.create_time).toISOString(),
    updateTime: new Date(row.update_time).toISOString(),
  };
}

function toVersion(row: VersionRow): KeyVersionRecord {
  return {
    version: row.version,
    algorithm: row.algorithm,
    publicKeyPem: row.public_key_pem,
    createTime: new Date(row.create_time).toISOString(),
  };
}
