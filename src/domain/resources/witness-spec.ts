import type { ResourceRecord } from './resource-record';

/** A public key of a signer outside attestd. */
export interface ExternalKey {
  readonly keyId: string;
  /** PEM SubjectPublicKeyInfo, as re-exported by attestd. */
  readonly pem: string;
  readonly algorithm: string;
}

/** A witness's settings (attestd.v1.Witness without its name, note, etag and times), validated. */
export interface WitnessSpec {
  readonly description: string;
  /** attestd key names ("projects/{project}/keys/{key}") of the witness's project; the first signs, all verify. */
  readonly keys: readonly string[];
  /** Keys of signers outside attestd; they verify only. */
  readonly publicKeys: readonly ExternalKey[];
  /**
   * Grafeas notes of the witness's project ("projects/{project}/notes/{note}", any kind) whose occurrences count as
   * its attestations when its keys verify them, besides its own note: Tekton Chains' and Cloud Build's notes.
   */
  readonly notes: readonly string[];
  /** Also accept envelopes signed over the raw payload instead of DSSE's PAE (Tekton Chains, Cloud Build). */
  readonly acceptRawEnvelope: boolean;
}

/** A stored witness; its note is projects/{projectId}/notes/{id}. */
export type WitnessRecord = ResourceRecord<WitnessSpec>;
