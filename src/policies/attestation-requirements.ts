import { invalidArgument } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import type { AttestationRequirement } from '../domain/resources/policy-spec';
import { SpecReader } from '../resources/spec-reader';
import { witnessOfProject } from '../witnesses/witness-names';
import { compiledCondition, ConditionSyntaxError } from './attestation-condition';

/** Most attestation requirements one policy holds. */
const MAX_REQUIREMENTS = 16;
/** Longest predicateType accepted. */
const MAX_PREDICATE_TYPE = 512;

/**
 * Validates `policy.attestations`: each a witness of the policy's project, a predicateType and an optional CEL
 * condition, which must compile (INVALID_ARGUMENT with the parser's message otherwise). Compiling here also fills
 * the cache evaluation reads, so a condition compiles once per policy revision.
 */
export function parseAttestationRequirements(value: unknown, projectId: string): AttestationRequirement[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidArgument('policy.attestations must be a list of AttestationRequirement messages');
  if (value.length > MAX_REQUIREMENTS) throw invalidArgument(`policy.attestations may hold at most ${MAX_REQUIREMENTS} requirements`);
  return value.map((entry, i) => {
    const at = `policy.attestations[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw invalidArgument(`${at} must be an AttestationRequirement message`);
    const f = new SpecReader(entry as JsonObject, at);
    const witness = witnessOfProject(
      f.text('witness', { required: 'the witness whose keys must verify the statement, e.g. "projects/p/witnesses/ci"' }),
      projectId,
      `${at}.witness`,
      'a policy uses witnesses of its own project',
    );
    const predicateType = f.text('predicateType', {
      required: 'the statement type required, e.g. "https://slsa.dev/provenance/v1"',
      max: MAX_PREDICATE_TYPE,
    });
    const condition = f.text('condition');
    if (condition.trim() !== '') {
      try {
        compiledCondition(condition);
      } catch (err) {
        if (err instanceof ConditionSyntaxError) throw invalidArgument(`${at}.condition does not compile: ${err.message}`);
        throw err;
      }
    }
    return { witness, predicateType, condition: condition.trim() === '' ? '' : condition };
  });
}
