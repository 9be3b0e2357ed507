import type { ResourceRecord } from './resource-record';

/** What a failing policy does: deny the image, or admit it and record that it would have been denied. */
export type Enforcement = 'ENFORCE' | 'DRY_RUN';

/** A security policy's settings (attestd.v1.Policy without its name, revision, etag and times), validated. */
export interface PolicySpec {
  /** Witness names ("projects/{project}/witnesses/{witness}") of the policy's own project, without repeats. */
  readonly witnesses: readonly string[];
  /** The cluster the policy protects. */
  readonly cluster: string;
  /** Namespaces of that cluster (DNS labels). */
  readonly namespaces: readonly string[];
  readonly enabled: boolean;
  /** Free text. */
  readonly note: string;
  readonly enforcement: Enforcement;
  /** How many of the witnesses must have attested an image; 0 means all of them. */
  readonly requiredWitnesses: number;
  /** Image name patterns admitted without attestation. */
  readonly allowlist: readonly string[];
  /** Whether the break-glass annotation may admit a workload. */
  readonly breakglassAllowed: boolean;
}

/** A stored security policy. */
export type PolicyRecord = ResourceRecord<PolicySpec>;
