import { newId } from '../domain/new-id';
import type { Access } from '../auth/access';
import { failedPrecondition } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { fullRepository, parseImageReference, requireDigest, resourceUri, type ImageReference } from '../domain/image-reference';
import { occurrenceName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import { recordAll, type ChangeRecorder, type RecordedChange } from '../grafeas/change-recorder';
import type { Occurrence } from '../grafeas/grafeas-types';
import { parseKeyName } from '../kms/key-names';
import type { KeyService } from '../kms/key-service';
import { buildPayload } from '../signing/simple-signing';
import { verifyAttestation, type CandidateOccurrence } from '../signing/verify-attestation';
import type { Stores, UnitOfWork } from '../store/stores';
import { parseWitnessName, witnessNoteName, type WitnessName } from './witness-names';
import type { WitnessService } from './witness-service';

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

  /**
   * Attests inside an existing transaction (registry hooks call this from their workers). With `deferred`,
   * the change is appended there instead of recorded, and the caller records it (recordAll) before commit.
   */
  async attestIn(stores: Stores, ctx: RequestContext, w: WitnessName, ref: ImageReference, deferred?: RecordedChange[]): Promise<Occurrence> {
    const witness = await this.witnesses.require(stores, w);
    const signer = witness.keys[0];
    if (!signer) throw failedPrecondition(`witness ${name(w)} has only external public keys; give it an attestd key to sign with`);
    const uri = resourceUri(ref);
    const note = { projectId: w.projectId, noteId: w.witnessId };
    await stores.grafeas.lockNoteResource(note, uri);
    const existing = await stores.grafeas.findOccurrences([note], [uri]);
    if (existing.length > 0) {
      const keys = await this.witnesses.verifyingKeys(stores, witness);
      const result = verifyAttestation({ image: ref, keys, occurrences: existing as unknown as CandidateOccurrence[] });
      if (result.verified) return existing.find((o) => o.name === result.occurrence)!;
    }
    const payload = buildPayload({
      repository: fullRepository(ref),
      digest: ref.digest!,
      creator: `attestd witness ${name(w)} for ${ctx.principal?.subject ?? 'anonymous'}`,
      timestamp: Math.floor(Date.parse(this.clock.now()) / 1000),
    });
    const signed = await this.keys.signWith(stores, parseKeyName(signer), payload);
    const id = newId();
    const now = this.clock.now();
    const occName = occurrenceName({ projectId: w.projectId, occurrenceId: id });
    const body: Occurrence = {
      name: occName,
      resourceUri: uri,
      noteName: witnessNoteName(w),
      kind: 'ATTESTATION',
      attestation: {
        serializedPayload: payload.toString('base64'),
        signatures: [{ signature: signed.signature.toString('base64'), publicKeyId: signed.name }],
      },
      createTime: now,
      updateTime: now,
    };
    await stores.grafeas.insertOccurrences([
      { projectId: w.projectId, occurrenceId: id, resourceUri: uri, noteProjectId: w.projectId, noteId: w.witnessId, kind: 'ATTESTATION', createTime: now, updateTime: now, body },
    ]);
    if (deferred) deferred.push({ ctx, method: 'Attest', resource: occName });
    else await this.changes.record(stores, ctx, 'Attest', occName);
    return body;
  }

  /** Records the changes attestIn deferred, in order, with one append round. */
  recordDeferred(stores: Stores, deferred: readonly RecordedChange[]): Promise<void> {
    return recordAll(this.changes, stores, deferred);
  }
}

const name = (w: WitnessName): string => `projects/${w.projectId}/witnesses/${w.witnessId}`;
