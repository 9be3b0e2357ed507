import type { ResourceRecord } from './resource-record';
import type { Severity } from '../vulnerability/severity';

/** A severity limit of a vulnerabilities block: a severity (findings up to it pass), BLOCK_ALL or ALLOW_ALL. */
export type SeverityLimit = Exclude<Severity, 'SEVERITY_UNSPECIFIED'> | 'BLOCK_ALL' | 'ALLOW_ALL';

/** A policy's limits on vulnerability findings (Kritis ImageSecurityPolicy semantics), defaults applied. */
export interface VulnerabilityRequirements {
  /** The highest severity a finding with a fix may have (default CRITICAL). */
  readonly maximumSeverity: SeverityLimit;
  /** The highest severity a finding without a fix may have (default ALLOW_ALL). */
  readonly maximumFixUnavailableSeverity: SeverityLimit;
  /** Vulnerability ids or note names that never count. */
  readonly allowlistCVEs: readonly string[];
  /** Whether an image needs a finished scan (also implied by maximumScanAge). */
  readonly requireScan: boolean;
  /** The oldest scan accepted as written ("168h"); '' for any age. */
  readonly maximumScanAge: string;
}

/** What a failing policy does: deny the image, or admit it and record that it would have been denied. */
export type Enforcement = 'ENFORCE' | 'DRY_RUN';

/**
 * An attestation requirement: some in-toto statement about the image, verified with the witness's keys, has the
 * predicateType and satisfies the CEL condition (empty: any such statement).
 */
export interface AttestationRequirement {
  /** A witness of the policy's project ("projects/{project}/witnesses/{witness}"). */
  readonly witness: string;
  /** e.g. "https://slsa.dev/provenance/v1". */
  readonly predicateType: string;
  /** A CEL expression over statement, predicate, subject and image; '' when any statement of the type will do. */
  readonly condition: string;
}

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
  /** Statements the image must have, each by a witness, of a predicateType, meeting a condition; all must hold. */
  readonly attestations: readonly AttestationRequirement[];
  /** Limits on the image's vulnerability findings; absent: none. */
  readonly vulnerabilities?: VulnerabilityRequirements;
}

/** A stored security policy. */
export type PolicyRecord = ResourceRecord<PolicySpec>;

/** Every witness a policy names, in its witness list or its attestation requirements, each once. */
export function policyWitnesses(spec: Pick<PolicySpec, 'witnesses' | 'attestations'>): string[] {
  return [...new Set([...spec.witnesses, ...spec.attestations.map((a) => a.witness)])];
}
