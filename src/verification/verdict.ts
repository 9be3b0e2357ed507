/** Why an image was allowed or denied. */
export type VerdictReason =
  | 'ATTESTED'
  | 'ALLOWLISTED'
  | 'NO_POLICY'
  | 'DRY_RUN'
  | 'BREAKGLASS'
  | 'TAG_REFERENCE'
  | 'INVALID_REFERENCE'
  | 'NOT_ATTESTED'
  | 'BAD_SIGNATURE'
  | 'IDENTITY_MISMATCH'
  | 'DIGEST_MISMATCH'
  | 'UNKNOWN_KEY'
  | 'DISABLED_KEY'
  | 'MALFORMED_PAYLOAD'
  | 'NOT_ENOUGH_WITNESSES'
  | VulnerabilityReason
  | 'WITHIN_LIMITS'
  | 'REQUIREMENT_NOT_MET'
  | 'DATABASE_UNAVAILABLE';

/** How a witness's attestation of an image verified: the occurrence, the signed form and its statements' types. */
export interface AttestationEvidence {
  readonly witness: string;
  readonly occurrence: string;
  /** simple-signing, dsse, dsse-raw, jwt or sigstore-bundle (docs/attestation-forms.md). */
  readonly form: string;
  /** The predicateTypes of the in-toto statements about the image the witness verified (none for simple signing). */
  readonly predicateTypes: readonly string[];
}

/** Why an image failed a policy's vulnerabilities block. */
export type VulnerabilityReason = 'VULNERABLE' | 'NO_SCAN' | 'SCAN_TOO_OLD' | 'TOO_MANY_FINDINGS';

/** One finding over a policy's limits. */
export interface VulnerabilityViolation {
  /** The vulnerability id: its note's id. */
  readonly vulnerability: string;
  readonly noteName: string;
  readonly occurrence: string;
  /** The severity judged (effectiveSeverity, else severity). */
  readonly severity: string;
  readonly fixAvailable: boolean;
  /** The packages' fixed versions, when every one has a fix. */
  readonly fixedVersions: readonly string[];
  /** "name version" of each affected package. */
  readonly packages: readonly string[];
  /** "maximumSeverity HIGH", "maximumFixUnavailableSeverity BLOCK_ALL". */
  readonly limit: string;
}

/** Why an image failed one policy's vulnerabilities block: the sentence and every offending finding, worst first. */
export interface VulnerabilityVerdict {
  readonly policy: string;
  readonly reason: VulnerabilityReason;
  readonly message: string;
  readonly violations: readonly VulnerabilityViolation[];
  /** The newest finished scan's DISCOVERY occurrence, if any. */
  readonly scan?: string;
  /** The time its scanner reported. */
  readonly scanTime?: string;
}

/**
 * A finding over a policy's limits that did not count because a VEX statement suppresses it or the policy's
 * `allowlistCVEs` names it: what let the image through despite the finding, kept in the decision.
 */
export interface VulnerabilityWaiver {
  readonly policy: string;
  /** The vulnerability id: its note's id. */
  readonly vulnerability: string;
  readonly noteName: string;
  readonly occurrence: string;
  readonly severity: string;
  /** The limit the finding would have exceeded: "maximumSeverity MEDIUM". */
  readonly limit: string;
  /** VEX (a VEX statement suppresses it) or ALLOWLIST (the policy's allowlistCVEs names it). */
  readonly waivedBy: 'VEX' | 'ALLOWLIST';
  /** The VEX statement's VULNERABILITY_ASSESSMENT note, or the allowlistCVEs entry. */
  readonly waiver: string;
  /** The VEX statement's state (NOT_AFFECTED or FIXED); absent for the allowlist. */
  readonly vexState?: string;
}

/** The verdict on one image. */
export interface ImageResult {
  /** The image as given. */
  readonly image: string;
  readonly allowed: boolean;
  readonly reason: VerdictReason;
  readonly message: string;
  readonly policies: readonly string[];
  readonly witnesses: readonly string[];
  readonly occurrences: readonly string[];
  /** For each policy whose vulnerabilities block failed (absent when none did). */
  readonly vulnerabilities?: readonly VulnerabilityVerdict[];
  /** Per witness whose attestation verified, which form verified and the statements' predicateTypes. */
  readonly attestations?: readonly AttestationEvidence[];
  /** Findings over a policy's limits that a VEX statement or allowlist entry waived (absent when none). */
  readonly waivers?: readonly VulnerabilityWaiver[];
}

/** What Kubernetes asked, when the admission adapter calls. */
export interface ReviewContext {
  readonly uid?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly operation?: string;
  readonly user?: string;
  readonly dryRun?: boolean;
  readonly subResource?: string;
}

/** A verification request after transport decoding. */
export interface VerifyInput {
  readonly cluster: string;
  readonly namespace: string;
  readonly images: readonly string[];
  readonly breakglass: boolean;
  readonly review?: ReviewContext;
  readonly source: 'admission' | 'verifyImages';
}

/** A verification answer: per-image verdicts in request order. */
export interface VerifyOutput {
  readonly results: readonly ImageResult[];
  readonly allowed: boolean;
  readonly decision: string;
  /**
   * `:verifyImages` calls (not admission reviews): whether the cluster's webhook, as declared, covers the namespace
   * (COVERED / NOT_COVERED), and the warning when it does not (ADR 0065).
   */
  readonly webhookCoverage?: 'COVERED' | 'NOT_COVERED';
  readonly warnings?: readonly string[];
}
