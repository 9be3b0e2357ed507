import { fullRepository, type ImageReference } from '../domain/image-reference';
import type { AttestationRequirement } from '../domain/resources/policy-spec';
import { compiledCondition, type ConditionInput } from '../policies/attestation-condition';
import type { WitnessStatement } from '../signing/verify-witness';

/** Whether a requirement is met: by which occurrence, or why not (the clause after "does not satisfy policy P: "). */
export type RequirementVerdict = { holds: true; occurrence: string } | { holds: false; why: string };

/** What a condition sees of a statement about the image. */
function conditionInput(statement: WitnessStatement, ref: ImageReference): ConditionInput {
  const hex = (ref.digest ?? '').replace(/^sha256:/, '');
  const subject = statement.subject.find((s) => s.digest.sha256?.toLowerCase() === hex) ?? statement.subject[0]!;
  return {
    statement: statement.json,
    predicate: statement.predicate,
    subject,
    image: { reference: `${fullRepository(ref)}@${ref.digest}`, repository: fullRepository(ref), digest: ref.digest },
  };
}

/**
 * Checks one attestation requirement against the statements its witness verified for the image: some statement of
 * its predicateType must meet its condition (any will do without one). The first statement's failure explains a
 * refusal: `no https://slsa.dev/provenance/v1 attestation by witness ci meets its condition (builder.id was '…')`.
 */
export function meetRequirement(
  requirement: AttestationRequirement,
  statements: readonly WitnessStatement[],
  ref: ImageReference,
): RequirementVerdict {
  const witness = requirement.witness.slice(requirement.witness.lastIndexOf('/') + 1);
  const wanted = `${requirement.predicateType} attestation by witness ${witness}`;
  const typed = statements.filter((s) => s.predicateType === requirement.predicateType);
  if (typed.length === 0) {
    const others = [...new Set(statements.map((s) => s.predicateType))];
    const found = others.length
      ? `its statements about the image are of predicateType ${others.join(', ')}`
      : 'it verified no in-toto statement about the image';
    return { holds: false, why: `no ${wanted} (${found})` };
  }
  if (requirement.condition === '') return { holds: true, occurrence: typed[0]!.occurrence };
  let condition;
  try {
    condition = compiledCondition(requirement.condition);
  } catch (err) {
    return { holds: false, why: `no ${wanted} meets its condition (condition failed: it does not compile: ${(err as Error).message})` };
  }
  let first: string | undefined;
  for (const statement of typed) {
    const verdict = condition.evaluate(conditionInput(statement, ref));
    if (verdict.holds) return { holds: true, occurrence: statement.occurrence };
    first ??= verdict.why;
  }
  return { holds: false, why: `no ${wanted} meets its condition (${first})` };
}
