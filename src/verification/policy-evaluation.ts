import { canonicalString, fullRepository, type ImageReference } from '../domain/image-reference';
import type { JsonObject } from '../domain/message-types';
import type { VerificationKey } from '../signing/verify-attestation';
import { verifyWitness, type WitnessOccurrence, type WitnessResult } from '../signing/verify-witness';
import { allowlistRegExp } from '../policies/allowlist-pattern';
import type { PolicyRecord } from '../domain/resources/policy-spec';
import { policyName } from '../policies/policy-kind';
import { meetRequirement } from './requirement-check';
import type { AttestationEvidence, VerdictReason, VulnerabilityVerdict, VulnerabilityWaiver } from './verdict';
import { evaluateVulnerabilities, type ImageVulnerabilityData } from './vulnerability-evaluation';

/** A witness as evaluation needs it: its notes (its own first), verifying keys and how it reads envelopes. */
export interface WitnessEvidence {
  readonly name: string;
  readonly notes: readonly string[];
  readonly keys: readonly VerificationKey[];
  readonly acceptRawEnvelope?: boolean;
}

/** One policy's verdict on one image. */
export interface PolicyOutcome {
  readonly policy: PolicyRecord;
  readonly pass: boolean;
  readonly reason: VerdictReason;
  readonly message: string;
  readonly witnesses: string[];
  readonly occurrences: string[];
  /** How each witness that verified did so (on a passing policy). */
  readonly evidence?: AttestationEvidence[];
  /** Set when the policy's vulnerabilities block failed. */
  readonly vulnerabilities?: VulnerabilityVerdict;
  /** Findings over the vulnerabilities block's limits that a VEX statement or allowlist entry waived. */
  readonly waivers?: readonly VulnerabilityWaiver[];
}

/** What a policy's vulnerabilities block reads: the image's findings and scans, and the time now. */
export interface VulnerabilityEvidence {
  readonly data: ImageVulnerabilityData;
  readonly nowMs: number;
}

/** Does the image name match one of the policy's allowlist patterns? */
export function allowlisted(policy: PolicyRecord, ref: ImageReference): boolean {
  const patterns = policy.spec.allowlist;
  if (patterns.length === 0) return false;
  const forms = [fullRepository(ref), canonicalString(ref), ref.written];
  return patterns.some((p) => {
    const re = allowlistRegExp(p);
    return forms.some((f) => re.test(f));
  });
}

/** Each witness's verdict on one image, verified once however many checks of a policy ask for it. */
class WitnessVerdicts {
  private readonly results = new Map<string, Promise<WitnessResult>>();

  constructor(
    private readonly ref: ImageReference,
    private readonly evidence: ReadonlyMap<string, WitnessEvidence>,
    private readonly occurrencesByNote: ReadonlyMap<string, JsonObject[]>,
  ) {}

  of(witness: string): Promise<WitnessResult> {
    let result = this.results.get(witness);
    if (result === undefined) {
      const ev = this.evidence.get(witness);
      const candidates = (ev?.notes ?? []).flatMap((n) => this.occurrencesByNote.get(n) ?? []) as unknown as WitnessOccurrence[];
      const options = { acceptRawEnvelope: ev?.acceptRawEnvelope === true };
      result = verifyWitness({ image: this.ref, keys: ev?.keys ?? [], occurrences: candidates, options });
      this.results.set(witness, result);
    }
    return result;
  }

  /** For each witness asked about that verified: its first verified occurrence and form, and its statements' types. */
  async verified(): Promise<AttestationEvidence[]> {
    const out: AttestationEvidence[] = [];
    for (const [witness, pending] of this.results) {
      const result = await pending;
      if (!result.verified) continue;
      const predicateTypes = [...new Set(result.statements.map((s) => s.predicateType))];
      out.push({ witness, occurrence: result.occurrence, form: result.form, predicateTypes });
    }
    return out;
  }
}

/**
 * Evaluates one policy for one image: allowlisted, or by digest and passing every part the policy has — attested
 * by enough of its witnesses (all, or `requiredWitnesses`), each attestation verified over the exact stored bytes
 * in any signed form (simple signing, DSSE envelopes with in-toto statements, JWTs), every attestation
 * requirement met by a verified statement, and within its vulnerabilities block's limits.
 */
export async function evaluatePolicy(
  policy: PolicyRecord,
  ref: ImageReference,
  evidence: ReadonlyMap<string, WitnessEvidence>,
  occurrencesByNote: ReadonlyMap<string, JsonObject[]>,
  vulns?: VulnerabilityEvidence,
): Promise<PolicyOutcome> {
  const name = policyName(policy);
  if (allowlisted(policy, ref)) {
    return {
      policy,
      pass: true,
      reason: 'ALLOWLISTED',
      message: `${ref.written} matches the allowlist of policy ${name}`,
      witnesses: [],
      occurrences: [],
    };
  }
  if (ref.digest === undefined) {
    return {
      policy,
      pass: false,
      reason: 'TAG_REFERENCE',
      message: `${ref.written} is referenced by tag; policy ${name} admits images by digest only (${fullRepository(ref)}@sha256:…)`,
      witnesses: [],
      occurrences: [],
    };
  }
  const attested = await evaluateAttestations(policy, ref, new WitnessVerdicts(ref, evidence, occurrencesByNote));
  const req = policy.spec.vulnerabilities;
  if (req !== undefined && vulns === undefined) throw new Error(`policy ${name} has a vulnerabilities block but no findings were read`);
  if (req === undefined || vulns === undefined) return attested;
  const judgement = evaluateVulnerabilities(req, { name, id: policy.id }, ref, vulns.data, vulns.nowMs);
  const waivers = judgement.waivers.length ? { waivers: judgement.waivers } : {};
  const vulnerabilities = judgement.verdict;
  if (vulnerabilities === undefined) return { ...attested, ...waivers };
  const { witnesses, occurrences } = attested;
  if (!attested.pass) {
    // Both facts: the witness failure decides the reason, the findings follow.
    return { ...attested, message: `${attested.message}; ${vulnerabilities.message}`, vulnerabilities, ...waivers };
  }
  return {
    policy,
    pass: false,
    reason: vulnerabilities.reason,
    message: vulnerabilities.message,
    witnesses,
    occurrences,
    vulnerabilities,
    ...waivers,
  };
}

/**
 * The attestation parts of a policy: its witnesses, then its attestation requirements (the first failure decides).
 * A policy with neither (only a vulnerabilities block) passes here at once.
 */
async function evaluateAttestations(policy: PolicyRecord, ref: ImageReference, verdicts: WitnessVerdicts): Promise<PolicyOutcome> {
  if (policy.spec.witnesses.length === 0 && policy.spec.attestations.length === 0) {
    return {
      policy,
      pass: true,
      reason: 'WITHIN_LIMITS',
      message: `${ref.written} is within the vulnerability limits of policy ${policyName(policy)}`,
      witnesses: [],
      occurrences: [],
    };
  }
  const attested = await checkWitnesses(policy, ref, verdicts);
  if (!attested.pass) return attested;
  const required = await checkAttestationRequirements(policy, ref, verdicts);
  if (!required.pass) return required;
  const witnesses = [...new Set([...attested.witnesses, ...required.witnesses])];
  const occurrences = [...new Set([...attested.occurrences, ...required.occurrences])];
  return {
    policy,
    pass: true,
    reason: 'ATTESTED',
    message: `${ref.written} is attested by ${witnesses.join(', ')}`,
    witnesses,
    occurrences,
    evidence: await verdicts.verified(),
  };
}

/** The policy's witnesses: enough of them (all, or `requiredWitnesses`) must attest the image; none listed passes. */
async function checkWitnesses(policy: PolicyRecord, ref: ImageReference, verdicts: WitnessVerdicts): Promise<PolicyOutcome> {
  const witnesses: string[] = [];
  const occurrences: string[] = [];
  const failures: { witness: string; result: Extract<WitnessResult, { verified: false }> }[] = [];
  for (const w of policy.spec.witnesses) {
    const result = await verdicts.of(w);
    if (result.verified) {
      witnesses.push(w);
      occurrences.push(result.occurrence);
    } else failures.push({ witness: w, result });
  }
  const need = policy.spec.requiredWitnesses || policy.spec.witnesses.length;
  if (witnesses.length >= need) return { policy, pass: true, reason: 'ATTESTED', message: '', witnesses, occurrences };
  const first = failures[0]!;
  if (witnesses.length > 0) {
    return {
      policy,
      pass: false,
      reason: 'NOT_ENOUGH_WITNESSES',
      message: `${ref.written} is attested by ${witnesses.length} of the ${need} witnesses policy ${policyName(policy)} requires; ${first.witness}: ${first.result.message}`,
      witnesses,
      occurrences,
    };
  }
  return { policy, pass: false, reason: first.result.reason, message: `${first.witness}: ${first.result.message}`, witnesses, occurrences };
}

/**
 * The policy's attestation requirements, in order: each holds when a statement about the image verified with its
 * witness's keys has its predicateType and meets its condition. A witness that verified nothing at all fails with
 * its own reason (admission words that "image … is not attested"); otherwise a failing requirement is
 * REQUIREMENT_NOT_MET, saying which requirement failed and why.
 */
async function checkAttestationRequirements(policy: PolicyRecord, ref: ImageReference, verdicts: WitnessVerdicts): Promise<PolicyOutcome> {
  const witnesses: string[] = [];
  const occurrences: string[] = [];
  for (const requirement of policy.spec.attestations) {
    const result = await verdicts.of(requirement.witness);
    if (!result.verified && result.statements.length === 0) {
      return {
        policy,
        pass: false,
        reason: result.reason,
        message: `${requirement.witness}: ${result.message}`,
        witnesses,
        occurrences,
      };
    }
    const met = meetRequirement(requirement, result.statements, ref);
    if (!met.holds) {
      return {
        policy,
        pass: false,
        reason: 'REQUIREMENT_NOT_MET',
        message: `image ${ref.written} does not satisfy policy ${policy.id}: ${met.why}`,
        witnesses,
        occurrences,
      };
    }
    witnesses.push(requirement.witness);
    occurrences.push(met.occurrence);
  }
  return { policy, pass: true, reason: 'ATTESTED', message: '', witnesses, occurrences };
}
