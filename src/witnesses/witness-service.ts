import crypto from 'node:crypto';
import type { Access } from '../auth/access';
import type { Clock } from '../domain/clock';
import type { WitnessRecord, WitnessSpec } from '../domain/resources/witness-spec';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { parseKeyName } from '../kms/key-names';
import type { KeyService, VerifyingKey } from '../kms/key-service';
import { ResourceService } from '../resources/resource-service';
import { WITNESS_KIND } from './witness-kind';
import type { WitnessName } from './witness-names';

/** Witnesses: the resource kit's service for WITNESS_KIND, plus the keys that verify a witness's attestations. */
export class WitnessService extends ResourceService<WitnessSpec> {
  constructor(
    uow: UnitOfWork,
    access: Access,
    clock: Clock,
    changes: ChangeRecorder,
    private readonly keys: KeyService,
  ) {
    super(WITNESS_KIND, uow, access, clock, changes);
  }

  /** The stored witness, or NOT_FOUND naming it. */
  requireWitness(stores: Stores, w: WitnessName, forUpdate = false): Promise<WitnessRecord> {
    return this.require(stores, { projectId: w.projectId, id: w.witnessId }, forUpdate);
  }

  /** Everything that verifies a witness's attestations: its attestd key versions and external keys. */
  async verifyingKeys(stores: Stores, record: WitnessRecord): Promise<VerifyingKey[]> {
    const own = await this.keys.verifyingKeys(
      stores,
      record.spec.keys.map((k) => parseKeyName(k)),
    );
    const external = record.spec.publicKeys.map((k) => ({
      keyId: k.keyId,
      publicKey: crypto.createPublicKey(k.pem),
      algorithm: k.algorithm,
      enabled: true,
    }));
    return [...own, ...external];
  }
}
