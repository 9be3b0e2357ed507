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
  | 'REQUIREMENT_NOT_MET';

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
}
