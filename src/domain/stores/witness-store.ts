import type { ResourceName } from '../resources/resource-record';
import type { WitnessSpec } from '../resources/witness-spec';
import type { ResourceStore } from './resource-store';

/** Storage of witnesses: the resource store plus who uses a witness. */
export interface WitnessStore extends ResourceStore<WitnessSpec> {
  /** Names of the policies and signing rules that use the witness, sorted. */
  users(witness: ResourceName): Promise<string[]>;
}
