import crypto from 'node:crypto';
import type { Access } from '../auth/access';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import { requireProject } from '../domain/stores/require-project';
import { keyIdFor, verifySignature } from '../signing/signature-algorithms';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { checkKeyId, keyName, parseKeyName, parseVersion, versionName, type KeyName } from './key-names';
import type { KeyProvider } from './key-provider';
import { keyAlgorithm, KEY_SPECS, type KeyPurpose, type KeySpec } from '../domain/key-specs';
import type { KeyRecord, KeyVersionRecord } from '../domain/stores/key-store';

/** The largest payload :sign accepts. */
export const MAX_SIGN_BYTES = 64 * 1024;

/** A key as the API shows it: never any private part. */
export interface KeyView {
  readonly name: string;
  readonly keySpec: KeySpec;
  readonly purpose: KeyPurpose;
  readonly algorithm: string;
  readonly description: string;
  readonly state: string;
  readonly primaryVersion: string;
  readonly versions: { name: string; algorithm: string; createTime: string }[];
  readonly createTime: string;
  readonly updateTime: string;
}

/** A verifying key as witnesses and admission see it. */
export interface VerifyingKey {
  readonly keyId: string;
  readonly publicKey: crypto.KeyObject;
  readonly algorithm: string;
  readonly enabled: boolean;
}

/** The key manager: create, read, sign, verify, rotate, disable and enable keys. */
export class KeyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    private readonly provider: KeyProvider,
    /** Called after enabling a key re-armed hook signings that waited on it (wakes the signing workers). */
    private readonly onSigningsRetried: () => void = () => undefined,
  ) {}

  async create(
    ctx: RequestContext,
    parent: string,
    keyId: string,
    input: { keySpec?: string; purpose?: string; algorithm?: string; description?: string },
  ): Promise<KeyView> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'keys.create', projectId);
    if (!keyId) throw invalidArgument('keyId is required: the id of the new key, e.g. ?keyId=signer');
    const k: KeyName = { projectId, keyId: checkKeyId(keyId) };
    const keySpec = specOf(input.keySpec);
    const purpose = purposeOf(input.purpose);
    const algorithm = keyAlgorithm(keySpec, purpose, input.algorithm || undefined);
    const description = input.description ?? '';
    if (description.length > 1024) throw invalidArgument('key.description must be at most 1024 characters');
    const generated = await this.provider.generate(keySpec, versionName(k, 1));
    const now = this.clock.now();
    const record: KeyRecord = {
      ...k,
      keySpec,
      purpose,
      algorithm,
      description,
      state: 'ENABLED',
      primaryVersion: 1,
      createTime: now,
      updateTime: now,
    };
    const version = {
      version: 1,
      algorithm,
      publicKeyPem: generated.publicKeyPem,
      createTime: now,
      material: generated.material,
      materialKeyId: generated.materialKeyId,
    };
    return this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      if (!(await stores.keys.insert(record, version))) throw alreadyExists(`key ${keyName(k)} already exists`);
      await this.changes.record(stores, ctx, 'CreateKey', keyName(k));
      return view(record, [version]);
    });
  }

  async get(ctx: RequestContext, name: string): Promise<KeyView> {
    const k = parseKeyName(name);
    this.access.check(ctx, 'keys.get', k.projectId);
    const record = await this.require(this.uow.stores, k);
    return view(record, await this.uow.stores.keys.versions(k.projectId, k.keyId));
  }

  async list(
    ctx: RequestContext,
    parent: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ keys: KeyView[]; nextPageToken: string }> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'keys.list', projectId);
    const page = await this.uow.stores.keys.list(projectId, pageSize, pageToken);
    const versions = await this.uow.stores.keys.versionsOf(page.items);
    return { keys: page.items.map((r) => view(r, versions.get(keyName(r)) ?? [])), nextPageToken: page.nextPageToken };
  }

  async publicKey(
    ctx: RequestContext,
    name: string,
    version: string | undefined,
  ): Promise<{ name: string; pem: string; algorithm: string; keyId: string }> {
    const k = parseKeyName(name);
    this.access.check(ctx, 'keys.get', k.projectId);
    const record = await this.require(this.uow.stores, k);
    const n = version ? parseVersion(version, k) : record.primaryVersion;
    const v = (await this.uow.stores.keys.versions(k.projectId, k.keyId)).find((x) => x.version === n);
    if (!v) throw notFound(`key version ${versionName(k, n)} does not exist`);
    return {
      name: versionName(k, n),
      pem: v.publicKeyPem,
      algorithm: v.algorithm,
      keyId: keyIdFor(crypto.createPublicKey(v.publicKeyPem)),
    };
  }

  async sign(ctx: RequestContext, name: string, data: Buffer): Promise<{ name: string; signature: Buffer; algorithm: string }> {
    const k = parseKeyName(name);
    this.access.check(ctx, 'keys.sign', k.projectId);
    return this.signWith(this.uow.stores, k, data);
  }

  /** Signs with a key's primary version (used by :sign and by witnesses); checks purpose and state. */
  async signWith(stores: Stores, k: KeyName, data: Buffer): Promise<{ name: string; signature: Buffer; algorithm: string }> {
    checkSignable(data);
    return (await this.signer(stores, k))(data);
  }

  /**
   * Looks the key and its primary version up once (enabled, able to sign) and answers a function that signs
   * with it: what a batch of signatures with one key (registry signing) needs, without a lookup per signature.
   * Use it inside the transaction that looked it up.
   */
  async signer(stores: Stores, k: KeyName): Promise<(data: Buffer) => Promise<{ name: string; signature: Buffer; algorithm: string }>> {
    const record = await this.require(stores, k);
    assertCanSign(record);
    const m = await stores.keys.signingMaterial(k.projectId, k.keyId, record.primaryVersion);
    if (!m) throw notFound(`key version ${versionName(k, record.primaryVersion)} does not exist`);
    const name = versionName(k, record.primaryVersion);
    return async (data) => {
      checkSignable(data);
      const signature = await this.provider.sign(m.material, m.materialKeyId, name, m.algorithm, data);
      return { name, signature, algorithm: m.algorithm };
    };
  }

  async verify(
    ctx: RequestContext,
    name: string,
    data: Buffer,
    signature: Buffer,
    version: string | undefined,
  ): Promise<{ valid: boolean; version: string }> {
    const k = parseKeyName(name);
    this.access.check(ctx, 'keys.verify', k.projectId);
    const record = await this.require(this.uow.stores, k);
    if (record.purpose !== 'SIGN_VERIFY')
      throw failedPrecondition(`key ${keyName(k)} is an ENCRYPT_DECRYPT key; only SIGN_VERIFY keys verify signatures`);
    if (record.state !== 'ENABLED') return { valid: false, version: '' };
    const wanted = version ? parseVersion(version, k) : undefined;
    for (const v of await this.uow.stores.keys.versions(k.projectId, k.keyId)) {
      if (wanted !== undefined && v.version !== wanted) continue;
      if (verifySignature({ publicKey: crypto.createPublicKey(v.publicKeyPem), algorithm: v.algorithm, data, signature })) {
        return { valid: true, version: versionName(k, v.version) };
      }
    }
    return { valid: false, version: '' };
  }

  async rotate(ctx: RequestContext, name: string): Promise<KeyView> {
    const k = parseKeyName(name);
    this.access.check(ctx, 'keys.update', k.projectId);
    const current = await this.require(this.uow.stores, k);
    const next = current.primaryVersion + 1;
    const generated = await this.provider.generate(current.keySpec, versionName(k, next));
    return this.uow.transaction(async (stores) => {
      const record = await this.require(stores, k, true);
      if (record.primaryVersion !== current.primaryVersion) throw failedPrecondition(`key ${keyName(k)} was rotated concurrently; retry`);
      const now = this.clock.now();
      await stores.keys.addVersion(k.projectId, k.keyId, {
        version: next,
        algorithm: record.algorithm,
        publicKeyPem: generated.publicKeyPem,
        createTime: now,
        material: generated.material,
        materialKeyId: generated.materialKeyId,
      });
      const updated = { ...record, primaryVersion: next, updateTime: now };
      await stores.keys.update(updated);
      await this.changes.record(stores, ctx, 'RotateKey', keyName(k));
      return view(updated, await stores.keys.versions(k.projectId, k.keyId));
    });
  }

  async setEnabled(ctx: RequestContext, name: string, enabled: boolean): Promise<KeyView> {
    const k = parseKeyName(name);
    this.access.check(ctx, 'keys.update', k.projectId);
    let retried = 0;
    const result = await this.uow.transaction(async (stores) => {
      const record = await this.require(stores, k, true);
      const updated: KeyRecord = { ...record, state: enabled ? 'ENABLED' : 'DISABLED', updateTime: this.clock.now() };
      await stores.keys.update(updated);
      await this.changes.record(stores, ctx, enabled ? 'EnableKey' : 'DisableKey', keyName(k));
      // Registry signings that failed because this key was disabled are retried with it (same transaction).
      if (enabled) retried = await stores.hooks.retryWaitingOn(k.projectId, keyName(k), updated.updateTime);
      return view(updated, await stores.keys.versions(k.projectId, k.keyId));
    });
    if (retried > 0) this.onSigningsRetried();
    return result;
  }

  /** The verifying keys behind key names, one entry per version ("…/versions/N" is the key id). */
  async verifyingKeys(stores: Stores, names: readonly KeyName[]): Promise<VerifyingKey[]> {
    const out: VerifyingKey[] = [];
    const versions = await stores.keys.versionsOf(names);
    for (const k of names) {
      for (const v of versions.get(keyName(k)) ?? []) {
        out.push({
          keyId: versionName(k, v.version),
          publicKey: publicKeyOf(v.publicKeyPem),
          algorithm: v.algorithm,
          enabled: v.keyState === 'ENABLED',
        });
      }
    }
    return out;
  }

  private async require(stores: Stores, k: KeyName, forUpdate = false): Promise<KeyRecord> {
    const record = await stores.keys.get(k.projectId, k.keyId, forUpdate);
    if (!record) throw notFound(`key ${keyName(k)} does not exist`);
    return record;
  }
}

const parsedKeys = new Map<string, crypto.KeyObject>();

/** Parses a PEM public key once; key versions never change, so their parsed form is kept (bounded). */
function publicKeyOf(pem: string): crypto.KeyObject {
  let key = parsedKeys.get(pem);
  if (!key) {
    if (parsedKeys.size > 10000) parsedKeys.clear();
    key = crypto.createPublicKey(pem);
    parsedKeys.set(pem, key);
  }
  return key;
}

/** Refuses keys that cannot sign images, saying which keys can. */
export function assertCanSign(record: KeyRecord): void {
  const accepted = `keys with purpose SIGN_VERIFY and keySpec ${Object.keys(KEY_SPECS).join(', ')}, enabled`;
  if (record.purpose !== 'SIGN_VERIFY') {
    throw failedPrecondition(`key ${keyName(record)} has purpose ${record.purpose} and cannot sign; use one of the ${accepted}`);
  }
  if (record.state !== 'ENABLED')
    throw failedPrecondition(`key ${keyName(record)} is ${record.state} and cannot sign; enable it or use one of the ${accepted}`);
}

function specOf(v: string | undefined): KeySpec {
  if (!v || v === 'KEY_SPEC_UNSPECIFIED') return 'RSA_2048';
  if (v in KEY_SPECS) return v as KeySpec;
  throw invalidArgument(`keySpec must be one of ${Object.keys(KEY_SPECS).join(', ')}, got "${v}"`);
}

function purposeOf(v: string | undefined): KeyPurpose {
  if (!v || v === 'KEY_PURPOSE_UNSPECIFIED') return 'SIGN_VERIFY';
  if (v === 'SIGN_VERIFY' || v === 'ENCRYPT_DECRYPT') return v;
  throw invalidArgument(`purpose must be SIGN_VERIFY or ENCRYPT_DECRYPT, got "${v}"`);
}

function view(r: KeyRecord, versions: readonly KeyVersionRecord[]): KeyView {
  return {
    name: keyName(r),
    keySpec: r.keySpec,
    purpose: r.purpose,
    algorithm: r.algorithm,
    description: r.description,
    state: r.state,
    primaryVersion: versionName(r, r.primaryVersion),
    versions: versions.map((v) => ({ name: versionName(r, v.version), algorithm: v.algorithm, createTime: v.createTime })),
    createTime: r.createTime,
    updateTime: r.updateTime,
  };
}

/** Data a key may sign: not empty, not larger than MAX_SIGN_BYTES. */
function checkSignable(data: Buffer): void {
  if (data.length === 0) throw invalidArgument('data is required: the base64 bytes to sign');
  if (data.length > MAX_SIGN_BYTES) throw invalidArgument(`data is ${data.length} bytes; at most ${MAX_SIGN_BYTES} can be signed`);
}
