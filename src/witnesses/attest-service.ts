import { newId } from '../domain/new-id';
import type { Access } from '../auth/access';
import { failedPrecondition } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { fullRepository, parseImageReference, requireDigest, resourceUri, type ImageReference } from '../domain/image-reference';
import { occurrenceName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import { recordAll, type ChangeRecorder, type RecordedChange } from '../domain/stores/change-recorder';
import type { OccurrenceRecord } from '../domain/stores/grafeas-store';
import type { Occurrence } from '../domain/message-types';
import { parseKeyName } from '../kms/key-names';
import type { KeyService, VerifyingKey } from '../kms/key-service';
import { buildPayload } from '../signing/simple-signing';
import { verifyAttestation, type CandidateOccurrence } from '../signing/verify-attestation';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { parseWitnessName, witnessNoteName, type WitnessName } from './witness-names';
import type { WitnessService } from './witness-service';
import type { WitnessRecord } from '../domain/resources/witness-spec';

/** Signs images as a witness and stores the signatures as Grafeas ATTESTATION occurrences. */
export class AttestService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    private readonly keys: KeyService,
    private readonly witnesses: WitnessService,
  ) {}

  /** `:attest` — idempotent per witness and repository@digest. */
  async attest(ctx: RequestContext, name: string, image: string): Promise<Occurrence> {
    const w = parseWitnessName(name);
    this.access.check(ctx, 'witnesses.attest', w.projectId);
    const ref = parseImageReference(image);
    requireDigest(ref);
    return this.uow.transaction((stores) => this.attestIn(stores, ctx, w, ref));
  }

  /** Attests one image inside an existing transaction: `attestMany` with one item. */
  async attestIn(stores: Stores, ctx: RequestContext, w: WitnessName, ref: ImageReference): Promise<Occurrence> {
    return (await this.attestMany(stores, [{ ctx, witness: w, image: ref }]))[0]!;
  }

  /**
   * Attests images inside an existing transaction, in a few statements whatever their number (registry hook
   * workers sign batches): each witness and its signing key are looked up once; every (witness, image) is
   * locked at once in one global order (so concurrent attests of one image wait for each other and batches
   * cannot deadlock); the existing attestations are read at once. An image the witness already attested with
   * a signature that verifies keeps that occurrence (idempotent); the others are signed, inserted and recorded
   * together. The same (witness, image) twice in one batch gets one occurrence. Answers one occurrence per item.
   */
  async attestMany(stores: Stores, items: readonly AttestItem[]): Promise<Occurrence[]> {
    const witnesses = new Map<string, WitnessSigner>();
    for (const item of items) {
      const key = name(item.witness);
      if (witnesses.has(key)) continue;
      const record = await this.witnesses.requireWitness(stores, item.witness);
      const signerKey = record.spec.keys[0];
      if (!signerKey) throw failedPrecondition(`witness ${key} has only external public keys; give it an attestd key to sign with`);
      witnesses.set(key, { record, sign: await this.keys.signer(stores, parseKeyName(signerKey)) });
    }
    const targets = items.map((item) => ({
      note: { projectId: item.witness.projectId, noteId: item.witness.witnessId },
      uri: resourceUri(item.image),
    }));
    await stores.grafeas.lockNoteResources(targets);
    const existing = await stores.grafeas.findOccurrences(
      unique(
        targets.map((t) => t.note),
        (n) => `${n.projectId}/${n.noteId}`,
      ),
      unique(
        targets.map((t) => t.uri),
        (u) => u,
      ),
    );
    const made = new Map<string, Occurrence>();
    const records: OccurrenceRecord[] = [];
    const changes: RecordedChange[] = [];
    const out: Occurrence[] = [];
    for (const [i, item] of items.entries()) {
      const { note, uri } = targets[i]!;
      const noteText = witnessNoteName(item.witness);
      const target = `${noteText}|${uri}`;
      const witness = witnesses.get(name(item.witness))!;
      let occurrence = made.get(target);
      if (!occurrence) {
        const candidates = existing.filter((o) => o.noteName === noteText && o.resourceUri === uri);
        if (candidates.length > 0) {
          witness.verifying ??= await this.witnesses.verifyingKeys(stores, witness.record);
          const result = verifyAttestation({
            image: item.image,
            keys: witness.verifying,
            occurrences: candidates as unknown as CandidateOccurrence[],
          });
          if (result.verified) occurrence = candidates.find((o) => o.name === result.occurrence);
        }
      }
      if (!occurrence) {
        const payload = buildPayload({
          repository: fullRepository(item.image),
          digest: item.image.digest!,
          creator: `attestd witness ${name(item.witness)} for ${item.ctx.principal?.subject ?? 'anonymous'}`,
          timestamp: Math.floor(Date.parse(this.clock.now()) / 1000),
        });
        const signed = await witness.sign(payload);
        const id = newId();
        const now = this.clock.now();
        const occName = occurrenceName({ projectId: item.witness.projectId, occurrenceId: id });
        occurrence = {
          name: occName,
          resourceUri: uri,
          noteName: noteText,
          kind: 'ATTESTATION',
          attestation: {
            serializedPayload: payload.toString('base64'),
            signatures: [{ signature: signed.signature.toString('base64'), publicKeyId: signed.name }],
          },
          createTime: now,
          updateTime: now,
        };
        records.push({
          projectId: item.witness.projectId,
          occurrenceId: id,
          resourceUri: uri,
          noteProjectId: note.projectId,
          noteId: note.noteId,
          kind: 'ATTESTATION',
          createTime: now,
          updateTime: now,
          body: occurrence,
        });
        changes.push({ ctx: item.ctx, method: 'Attest', resource: occName });
      }
      made.set(target, occurrence);
      out.push(occurrence);
    }
    if (records.length > 0) {
      await stores.grafeas.insertOccurrences(records);
      await recordAll(this.changes, stores, changes);
    }
    return out;
  }
}

/** One image to attest as a witness, for a caller. */
export interface AttestItem {
  readonly ctx: RequestContext;
  readonly witness: WitnessName;
  /** With a digest. */
  readonly image: ImageReference;
}

/** A witness looked up for a batch: its record, a signer for its key, and (when needed) its verifying keys. */
interface WitnessSigner {
  readonly record: WitnessRecord;
  readonly sign: (data: Buffer) => Promise<{ name: string; signature: Buffer }>;
  verifying?: VerifyingKey[];
}

function unique<T>(values: readonly T[], key: (v: T) => string): T[] {
  return [...new Map(values.map((v) => [key(v), v])).values()];
}

const name = (w: WitnessName): string => `projects/${w.projectId}/witnesses/${w.witnessId}`;
