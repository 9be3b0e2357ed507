import { canonicalString, fullRepository, type ImageReference } from '../domain/image-reference';
import type { JsonObject } from '../domain/message-types';
import type { VerificationKey } from '../signing/verify-attestation';
import { verifyWitness, type WitnessOccurrence, type WitnessResult } from '../signing/verify-witness';
import { allowlistRegExp } from '../policies/allowlist-pattern';
import type { PolicyRecord } from '../domain/resources/policy-spec';
import { policyName } from '../policies/policy-kind';
import { meetRequirement } from './requirement-check';
import type { VerdictReason } from './verdict';

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
}

/**
 * Evaluates one policy for one image: allowlisted, or by digest and passing every check the policy has: attested
 * by enough of its witnesses (all, or `requiredWitnesses`), each attestation verified over the exact stored bytes
 * in any signed form (simple signing, DSSE envelopes with in-toto statements, JWTs), and every attestation
 * requirement met by a verified statement.
 */
export async function evaluatePolicy(
  policy: PolicyRecord,
  ref: ImageReference,
  evidence: ReadonlyMap<string, WitnessEvidence>,
  occurrencesByNote: ReadonlyMap<string, JsonObject[]>,
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
  const verdicts = new WitnessVerdicts(ref, evidence, occurrencesByNote);
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
