import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import { noteName, parseNoteName } from '../domain/names';
import type { WitnessRecord, WitnessSpec } from '../domain/resources/witness-spec';
import type { Stores } from '../domain/stores/unit-of-work';
import { keyName, parseKeyName } from '../kms/key-names';
import { assertCanSign } from '../kms/key-service';
import { protoNames } from '../resources/proto-names';
import type { DeleteOptions, ParseContext, ResourceKind } from '../resources/resource-kind';
import { SpecReader } from '../resources/spec-reader';
import { parseExternalKeys } from './external-keys';
import { WITNESS_NAMING, witnessName, witnessNoteName } from './witness-names';

const MAX_KEYS = 16;
/** Most extra notes one witness vouches for. */
const MAX_NOTES = 16;

/**
 * Witnesses, a kind of the resource kit: signing authorities with their Grafeas ATTESTATION notes, which are
 * created and removed with them (hooks). `key` is the first of `keys`: a PATCH of `key` puts it first.
 */
export const WITNESS_KIND: ResourceKind<WitnessSpec> = {
  ...WITNESS_NAMING,
  ...protoNames('Witness', 'witnesses'),
  singular: 'witness',
  idParam: 'witnessId',
  idExample: 'qa-signer',
  outputOnly: ['note'],
  store: (stores) => stores.witnesses,
  parse: parseWitness,
  toMessage: (r) => ({ ...editable(r), key: r.spec.keys[0] ?? '', note: witnessNoteName(nameOf(r)) }),
  editable,
  checkReferences: checkKeys,
  hooks: { creating: createNote, deleting: releaseWitness, deleted: deleteNote },
};

/** The fields a PATCH changes: without `key`, so that a mask of `keys` alone replaces the list. */
function editable(r: WitnessRecord): JsonObject {
  return {
    description: r.spec.description,
    keys: r.spec.keys,
    publicKeys: r.spec.publicKeys,
    notes: r.spec.notes,
    acceptRawEnvelope: r.spec.acceptRawEnvelope,
  };
}

/** Validates a witness message: its keys (`key` first, then `keys`) of its own project, external keys, description. */
function parseWitness(input: JsonObject, { name, action }: ParseContext): WitnessSpec {
  const f = new SpecReader(input, 'witness');
  const key = f.text('key');
  const listed = f.strings('keys', MAX_KEYS);
  const rule = `a witness uses keys of its own project (${name.projectId})`;
  const own = (k: string, field: string): string => {
    const parsed = parseKeyName(k, field);
    if (parsed.projectId !== name.projectId) throw invalidArgument(`${field} ${k} is in another project; ${rule}`);
    return keyName(parsed);
  };
  const keys = [...new Set([...(key ? [own(key, 'witness.key')] : []), ...listed.map((k, i) => own(k, `witness.keys[${i}]`))])];
  if (keys.length > MAX_KEYS) throw invalidArgument(`a witness may have at most ${MAX_KEYS} keys`);
  const publicKeys = parseExternalKeys(f.value('publicKeys'), 'witness.publicKeys', MAX_KEYS);
  if (keys.length === 0 && publicKeys.length === 0) {
    throw invalidArgument(
      action === 'create'
        ? 'witness needs a signing key: set key (e.g. "projects/p/keys/signer"), keys, or publicKeys'
        : 'witness would be left without keys; keep at least one key or public key',
    );
  }
  return {
    description: f.text('description', { max: 1024 }),
    keys,
    publicKeys,
    notes: parseNotes(f, name),
    acceptRawEnvelope: f.bool('acceptRawEnvelope'),
  };
}

/**
 * The extra notes a witness vouches for: note names of its own project (whose occurrences its keys verify), without
 * its own note, which always counts. The notes need not exist yet (Tekton Chains creates its notes on first use).
 */
function parseNotes(f: SpecReader, name: ParseContext['name']): string[] {
  const rule = `a witness vouches for notes of its own project (${name.projectId})`;
  const own = witnessNoteName({ projectId: name.projectId, witnessId: name.id });
  const notes = f.strings('notes', MAX_NOTES).map((n, i) => {
    const field = f.path(`notes[${i}]`);
    const note = parseNoteName(n, field);
    if (note.projectId !== name.projectId) throw invalidArgument(`${field} ${n} is in another project; ${rule}`);
    return noteName(note);
  });
  return notes.filter((n) => n !== own);
}

/** Every attestd key of the witness must exist and be able to sign. */
async function checkKeys(stores: Stores, r: WitnessRecord): Promise<void> {
  for (const name of r.spec.keys) {
    const k = parseKeyName(name);
    const key = await stores.keys.get(k.projectId, k.keyId);
    if (!key) throw notFound(`key ${keyName(k)} does not exist`);
    assertCanSign(key);
  }
}

/** The witness's ATTESTATION note, created before the witness row (which references it). */
async function createNote(stores: Stores, r: WitnessRecord): Promise<void> {
  const w = nameOf(r);
  const note = {
    name: witnessNoteName(w),
    kind: 'ATTESTATION',
    shortDescription: `Attestations by witness ${r.id}`,
    longDescription: r.spec.description,
    attestation: { hint: { humanReadableName: r.id } },
    createTime: r.createTime,
    updateTime: r.updateTime,
  };
  const taken = await stores.grafeas.insertNotes([
    { projectId: r.projectId, noteId: r.id, kind: 'ATTESTATION', createTime: r.createTime, updateTime: r.updateTime, body: note },
  ]);
  if (taken.length > 0)
    throw alreadyExists(`note ${witnessNoteName(w)} already exists; a witness needs its own note id, choose another witnessId`);
}

/** Refuses while policies or rules use the witness, and while attestations exist unless `force` (they go with it). */
async function releaseWitness(stores: Stores, r: WitnessRecord, options: DeleteOptions): Promise<void> {
  const users = await stores.witnesses.users(r);
  const name = witnessName(nameOf(r));
  if (users.length > 0) throw failedPrecondition(`witness ${name} is used by ${users.join(', ')}; remove it from them first`);
  const note = { projectId: r.projectId, noteId: r.id };
  const attestations = await stores.grafeas.countNoteOccurrences(note);
  if (attestations > 0 && options.force !== true) {
    throw failedPrecondition(`witness ${name} has ${attestations} attestation(s); pass force=true to delete them with it`);
  }
  if (attestations > 0) await stores.grafeas.deleteNoteOccurrences(note);
}

/** The note goes once the witness row that references it is gone. */
async function deleteNote(stores: Stores, r: WitnessRecord): Promise<void> {
  await stores.grafeas.deleteNote({ projectId: r.projectId, noteId: r.id });
}

const nameOf = (r: WitnessRecord) => ({ projectId: r.projectId, witnessId: r.id });
