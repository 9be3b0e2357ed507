import { newId } from '../domain/new-id';
import type { Clock } from '../domain/clock';
import { parseImageReference, resourceUri, type ImageReference } from '../domain/image-reference';
import type { Occurrence } from '../domain/message-types';
import { occurrenceName } from '../domain/names';
import type { RegistryClient, RepositoryRef } from '../domain/registry-client';
import type { RequestContext } from '../domain/request-context';
import { recordAll, type ChangeRecorder, type RecordedChange } from '../domain/stores/change-recorder';
import type { OccurrenceRecord } from '../domain/stores/grafeas-store';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import type { FormOptions } from '../signing/signed-forms';
import type { VerificationKey } from '../signing/verify-attestation';
import { witnessNoteName, type WitnessName } from '../witnesses/witness-names';
import type { WitnessService } from '../witnesses/witness-service';
import { readSignatureManifest } from './signature-artifacts';
import { occurrenceMaterial, verifyArtifact, type VerifiedArtifact } from './verify-artifact';

/** A registry client for a host, over https or (plainHttp) http, with the server's registry credentials. */
export type RegistryClients = (registry: string, plainHttp: boolean) => Promise<RegistryClient>;

/** Where a signature manifest is and whose keys verify it. */
export interface ImportSource {
  readonly projectId: string;
  readonly witnessId: string;
  readonly registry: string;
  readonly repository: string;
  /** The signature manifest: a digest (`sha256:…`) or a tag. */
  readonly reference: string;
  /** The tag it was pushed under (`sha256-<hex>.sig`), or empty. */
  readonly tag: string;
  readonly plainHttp: boolean;
}

/** What reading a signature manifest found: the image it signs, what verified, and why the rest does not count. */
export interface ImportReading {
  /** The signed image by digest; undefined when the manifest signs nothing (the reason is in `rejected`). */
  readonly image: ImageReference | undefined;
  readonly verified: readonly VerifiedArtifact[];
  readonly rejected: readonly string[];
}

/** A witness as verification needs it: its keys and how it reads envelopes. */
export interface WitnessKeys {
  readonly keys: readonly VerificationKey[];
  readonly options: FormOptions;
}

/** The audit method of an imported signature. */
const IMPORT_METHOD = 'ImportSignature';

/**
 * Imports cosign signatures and attestations: reads a signature manifest and its layers from the registry (no
 * transaction is held meanwhile), verifies each with a witness's keys, and records the verified ones on the
 * witness's note for the signed image, exactly as signed and once (an occurrence with the same payload and
 * signatures is kept, not duplicated).
 */
export class SignatureImporter {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    private readonly witnesses: WitnessService,
    readonly clients: RegistryClients,
  ) {}

  /** The keys that verify a witness's signatures and how it reads envelopes, read outside any transaction. */
  async keysOf(witness: WitnessName): Promise<WitnessKeys> {
    const record = await this.witnesses.requireWitness(this.uow.stores, witness);
    return {
      keys: await this.witnesses.verifyingKeys(this.uow.stores, record),
      options: { acceptRawEnvelope: record.spec.acceptRawEnvelope },
    };
  }

  /** Reads and verifies the signature manifest of `source` with the witness's keys. Registry failures throw. */
  async read(source: ImportSource): Promise<ImportReading> {
    const keys = await this.keysOf({ projectId: source.projectId, witnessId: source.witnessId });
    const client = await this.clients(source.registry, source.plainHttp);
    return this.readWith(client, { registry: source.registry, repository: source.repository }, source.reference, source.tag, keys);
  }

  /** Reads one signature manifest with a client and verifies it with `keys`. */
  async readWith(
    client: RegistryClient,
    repository: RepositoryRef,
    reference: string,
    tag: string,
    witness: WitnessKeys,
  ): Promise<ImportReading> {
    const manifest = await client.getManifest(repository, reference);
    const found = await readSignatureManifest(client, repository, manifest, tag);
    if (typeof found === 'string') return { image: undefined, verified: [], rejected: [found] };
    const image = parseImageReference(`${repository.registry}/${repository.repository}@${found.subject}`);
    const verified: VerifiedArtifact[] = [];
    const rejected = [...found.unreadable];
    for (const artifact of found.artifacts) {
      const outcome = verifyArtifact(artifact, image, witness.keys, witness.options);
      if ('reason' in outcome) rejected.push(outcome.reason);
      else verified.push(outcome);
    }
    return { image, verified, rejected };
  }

  /**
   * Records verified artifacts as ATTESTATION occurrences on the witness's note for the image, inside the caller's
   * transaction: the (note, image) is locked, an occurrence with the same signed material is reused. Answers the
   * occurrence names, one per artifact (existing or new).
   */
  async record(
    stores: Stores,
    ctx: RequestContext,
    witness: WitnessName,
    image: ImageReference,
    verified: readonly VerifiedArtifact[],
  ): Promise<string[]> {
    if (verified.length === 0) return [];
    const note = { projectId: witness.projectId, noteId: witness.witnessId };
    const noteName = witnessNoteName(witness);
    const uri = resourceUri(image);
    await stores.grafeas.lockNoteResources([{ note, uri }]);
    const existing = (await stores.grafeas.findOccurrences([note], [uri])).filter((o) => o.noteName === noteName && o.resourceUri === uri);
    const known = new Map<string, string>();
    for (const o of existing) {
      const material = occurrenceMaterial(o);
      if (material !== undefined && !known.has(material)) known.set(material, String(o.name));
    }
    const records: OccurrenceRecord[] = [];
    const changes: RecordedChange[] = [];
    const names: string[] = [];
    for (const v of verified) {
      let name = known.get(v.material);
      if (name === undefined) {
        const id = newId();
        const now = this.clock.now();
        name = occurrenceName({ projectId: witness.projectId, occurrenceId: id });
        const body: Occurrence = { name, resourceUri: uri, noteName, kind: 'ATTESTATION', ...v.fields, createTime: now, updateTime: now };
        records.push({
          projectId: witness.projectId,
          occurrenceId: id,
          resourceUri: uri,
          noteProjectId: note.projectId,
          noteId: note.noteId,
          kind: 'ATTESTATION',
          createTime: now,
          updateTime: now,
          body,
        });
        changes.push({ ctx, method: IMPORT_METHOD, resource: name });
        known.set(v.material, name);
      }
      names.push(name);
    }
    if (records.length > 0) {
      await stores.grafeas.insertOccurrences(records);
      await recordAll(this.changes, stores, changes);
    }
    return names;
  }
}
