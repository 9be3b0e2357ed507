import crypto from 'node:crypto';
import type { Access } from '../auth/access';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseProjectName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { JsonObject } from '../domain/message-types';
import { requireProject } from '../domain/stores/require-project';
import { keyName, parseKeyName } from '../kms/key-names';
import { assertCanSign, type KeyService, type VerifyingKey } from '../kms/key-service';
import { checkKeyFitsAlgorithm, keyIdFor } from '../signing/signature-algorithms';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { applyMask, impliedMask, resolveMask } from '../domain/update-mask';
import { checkWitnessId, parseWitnessName, witnessName, witnessNoteName, type WitnessName } from './witness-names';
import type { ExternalKey, WitnessRecord } from '../domain/stores/witness-store';
import { witnessSchema } from './witness-schema';

const MAX_KEYS = 16;

/** A witness as the API shows it. */
export interface WitnessView {
  readonly name: string;
  readonly description: string;
  readonly key: string;
  readonly keys: readonly string[];
  readonly publicKeys: readonly ExternalKey[];
  readonly note: string;
  readonly createTime: string;
  readonly updateTime: string;
}

/** Witnesses: signing authorities with their Grafeas ATTESTATION notes, created and removed together. */
export class WitnessService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    private readonly keys: KeyService,
  ) {}

  async create(ctx: RequestContext, parent: string, witnessId: string, input: JsonObject): Promise<WitnessView> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'witnesses.create', projectId);
    if (!witnessId) throw invalidArgument('witnessId is required: the id of the new witness, e.g. ?witnessId=qa-signer');
    const w: WitnessName = { projectId, witnessId: checkWitnessId(witnessId) };
    const keyNames = keysOf(input);
    const publicKeys = externalKeys(input.publicKeys);
    if (keyNames.length === 0 && publicKeys.length === 0) {
      throw invalidArgument('witness needs a signing key: set key (e.g. "projects/p/keys/signer"), keys, or publicKeys');
    }
    const description = descriptionOf(input.description);
    const now = this.clock.now();
    const record: WitnessRecord = { ...w, description, keys: keyNames, publicKeys, createTime: now, updateTime: now };
    return this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      await this.checkKeys(stores, projectId, keyNames);
      const note = {
        name: witnessNoteName(w),
        kind: 'ATTESTATION',
        shortDescription: `Attestations by witness ${witnessId}`,
        longDescription: description,
        attestation: { hint: { humanReadableName: witnessId } },
        createTime: now,
        updateTime: now,
      };
      const taken = await stores.grafeas.insertNotes([
        { projectId, noteId: witnessId, kind: 'ATTESTATION', createTime: now, updateTime: now, body: note },
      ]);
      if (taken.length > 0)
        throw alreadyExists(`note ${witnessNoteName(w)} already exists; a witness needs its own note id, choose another witnessId`);
      if (!(await stores.witnesses.insert(record))) throw alreadyExists(`witness ${witnessName(w)} already exists`);
      await this.changes.record(stores, ctx, 'CreateWitness', witnessName(w));
      return view(record);
    });
  }

  async get(ctx: RequestContext, name: string): Promise<WitnessView> {
    const w = parseWitnessName(name);
    this.access.check(ctx, 'witnesses.get', w.projectId);
    return view(await this.require(this.uow.stores, w));
  }

  async list(
    ctx: RequestContext,
    parent: string,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ witnesses: WitnessView[]; nextPageToken: string }> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'witnesses.list', projectId);
    const page = await this.uow.stores.witnesses.list(projectId, pageSize, pageToken);
    return { witnesses: page.items.map(view), nextPageToken: page.nextPageToken };
  }

  async update(ctx: RequestContext, name: string, patch: JsonObject, maskPaths: readonly string[] | undefined): Promise<WitnessView> {
    const w = parseWitnessName(name);
    this.access.check(ctx, 'witnesses.update', w.projectId);
    const type = witnessSchema();
    const mask = resolveMask(
      type,
      maskPaths ?? impliedMask(patch, new Set(['name', 'note', 'createTime', 'updateTime'])),
      new Set(['name', 'note', 'create_time', 'update_time']),
    );
    return this.uow.transaction(async (stores) => {
      const current = await this.require(stores, w, true);
      const merged = applyMask({ ...view(current) }, patch, mask);
      if (mask.some((m) => m.segments[0] === 'key'))
        merged.keys =
          typeof merged.key === 'string' && merged.key
            ? [merged.key, ...strings(merged.keys).filter((k) => k !== merged.key)]
            : strings(merged.keys);
      const keyNames = keysOf({ keys: merged.keys });
      const publicKeys = externalKeys(merged.publicKeys);
      if (keyNames.length === 0 && publicKeys.length === 0)
        throw invalidArgument('witness would be left without keys; keep at least one key or public key');
      await this.checkKeys(stores, w.projectId, keyNames);
      const updated: WitnessRecord = {
        ...current,
        description: descriptionOf(merged.description),
        keys: keyNames,
        publicKeys,
        updateTime: this.clock.now(),
      };
      await stores.witnesses.update(updated);
      await this.changes.record(stores, ctx, 'UpdateWitness', witnessName(w));
      return view(updated);
    });
  }

  async delete(ctx: RequestContext, name: string, force: boolean): Promise<void> {
    const w = parseWitnessName(name);
    this.access.check(ctx, 'witnesses.delete', w.projectId);
    await this.uow.transaction(async (stores) => {
      await this.require(stores, w, true);
      const users = await stores.witnesses.users(w.projectId, w.witnessId);
      if (users.length > 0) throw failedPrecondition(`witness ${witnessName(w)} is used by ${users.join(', ')}; remove it from them first`);
      const note = { projectId: w.projectId, noteId: w.witnessId };
      const attestations = await stores.grafeas.countNoteOccurrences(note);
      if (attestations > 0 && !force) {
        throw failedPrecondition(`witness ${witnessName(w)} has ${attestations} attestation(s); pass force=true to delete them with it`);
      }
      if (attestations > 0) await stores.grafeas.deleteNoteOccurrences(note);
      await stores.witnesses.delete(w.projectId, w.witnessId);
      await stores.grafeas.deleteNote(note);
      await this.changes.record(stores, ctx, 'DeleteWitness', witnessName(w));
    });
  }

  /** Everything that verifies a witness's attestations: its attestd key versions and external keys. */
  async verifyingKeys(stores: Stores, record: WitnessRecord): Promise<VerifyingKey[]> {
    const own = await this.keys.verifyingKeys(
      stores,
      record.keys.map((k) => parseKeyName(k)),
    );
    const external = record.publicKeys.map((k) => ({
      keyId: k.keyId,
      publicKey: crypto.createPublicKey(k.pem),
      algorithm: k.algorithm,
      enabled: true,
    }));
    return [...own, ...external];
  }

  async require(stores: Stores, w: WitnessName, forUpdate = false): Promise<WitnessRecord> {
    const record = await stores.witnesses.get(w.projectId, w.witnessId, forUpdate);
    if (!record) throw notFound(`witness ${witnessName(w)} does not exist`);
    return record;
  }

  /** Every attestd key must exist in the witness's project and be able to sign. */
  private async checkKeys(stores: Stores, projectId: string, keyNames: readonly string[]): Promise<void> {
    for (const [i, name] of keyNames.entries()) {
      const k = parseKeyName(name, i === 0 ? 'key' : `keys[${i}]`);
      if (k.projectId !== projectId)
        throw invalidArgument(`key ${name} is in another project; a witness uses keys of its own project (${projectId})`);
      const record = await stores.keys.get(k.projectId, k.keyId);
      if (!record) throw notFound(`key ${keyName(k)} does not exist`);
      assertCanSign(record);
    }
  }
}

function keysOf(input: JsonObject): string[] {
  const list = [...(typeof input.key === 'string' && input.key ? [input.key] : []), ...strings(input.keys)];
  const unique = [...new Set(list)];
  if (unique.length > MAX_KEYS) throw invalidArgument(`a witness may have at most ${MAX_KEYS} keys`);
  return unique;
}

function externalKeys(value: unknown): ExternalKey[] {
  const list = Array.isArray(value) ? (value as JsonObject[]) : [];
  if (list.length > MAX_KEYS) throw invalidArgument(`a witness may have at most ${MAX_KEYS} publicKeys`);
  return list.map((k, i) => {
    const field = `publicKeys[${i}]`;
    const pem = typeof k.pem === 'string' ? k.pem : '';
    // crypto.createPublicKey derives the public half of a private key PEM, so refuse private keys before it.
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) throw invalidArgument(`${field}.pem must be a public key, never a private one`);
    let publicKey: crypto.KeyObject;
    try {
      publicKey = crypto.createPublicKey(pem);
    } catch {
      throw invalidArgument(`${field}.pem is not a PEM public key (expected "-----BEGIN PUBLIC KEY-----", PKIX SubjectPublicKeyInfo)`);
    }
    if (publicKey.type !== 'public') throw invalidArgument(`${field}.pem must be a public key, never a private one`);
    const algorithm = typeof k.algorithm === 'string' ? k.algorithm : '';
    if (!algorithm) throw invalidArgument(`${field}.algorithm is required, e.g. RSA_SIGN_PSS_2048_SHA256 or ECDSA_P256_SHA256`);
    try {
      checkKeyFitsAlgorithm(publicKey, algorithm);
    } catch (err) {
      throw invalidArgument(`${field}: ${(err as Error).message}`);
    }
    const keyId = typeof k.keyId === 'string' && k.keyId ? k.keyId : keyIdFor(publicKey);
    return { keyId, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), algorithm };
  });
}

function descriptionOf(v: unknown): string {
  const d = typeof v === 'string' ? v : '';
  if (d.length > 1024) throw invalidArgument('witness.description must be at most 1024 characters');
  return d;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** The API shape of a witness. */
export function view(r: WitnessRecord): WitnessView {
  const w = { projectId: r.projectId, witnessId: r.witnessId };
  return {
    name: witnessName(w),
    description: r.description,
    key: r.keys[0] ?? '',
    keys: r.keys,
    publicKeys: r.publicKeys,
    note: witnessNoteName(w),
    createTime: r.createTime,
    updateTime: r.updateTime,
  };
}
