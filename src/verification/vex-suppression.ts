import type { JsonObject, Note } from '../domain/message-types';
import { suppressingState } from '../domain/vulnerability/vex-states';

/** The VEX statement that suppresses a vulnerability's finding: its VULNERABILITY_ASSESSMENT note and state. */
export interface VexSuppression {
  readonly note: string;
  /** NOT_AFFECTED or FIXED. */
  readonly state: string;
}

const asObject = (v: unknown): JsonObject | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;

/**
 * Which vulnerability ids the VEX statements about an image suppress, each with the statement that does. `notes`
 * are the project's VULNERABILITY_ASSESSMENT notes whose product is the image (`imageUri`) or its repository. Per
 * vulnerability, statements about the image itself win over statements about the repository; at the deciding
 * level every statement must be `NOT_AFFECTED` or `FIXED` (an `AFFECTED` or `UNDER_INVESTIGATION` one keeps the
 * finding).
 */
export function vexSuppressions(notes: readonly Note[], imageUri: string): Map<string, VexSuppression> {
  const levels = new Map<string, { specific: boolean; suppress: boolean; note: string; state: string }>();
  for (const n of notes) {
    const va = asObject(n.vulnerabilityAssessment);
    const assessment = asObject(va?.assessment);
    const id = typeof assessment?.vulnerabilityId === 'string' ? assessment.vulnerabilityId : '';
    if (id === '') continue;
    const specific = asObject(va?.product)?.genericUri === imageUri;
    const state = String(assessment?.state);
    const suppress = suppressingState(state);
    const before = levels.get(id);
    if (before === undefined || (specific && !before.specific)) {
      levels.set(id, { specific, suppress, note: String(n.name), state });
    } else if (before.specific === specific && !suppress) {
      levels.set(id, { ...before, suppress: false });
    }
  }
  const out = new Map<string, VexSuppression>();
  for (const [id, level] of levels) if (level.suppress) out.set(id, { note: level.note, state: level.state });
  return out;
}
