import { invalidArgument } from '../domain/api-error';
import { checkNoteId, checkProjectId, quote } from '../domain/names';

export interface WitnessName {
  readonly projectId: string;
  readonly witnessId: string;
}

/** Witness ids are note ids too (the witness's note shares it), limited to 1-63 letters, digits, `_`, `-`, `.`. */
export function checkWitnessId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(id)) {
    throw invalidArgument(`witnessId must be 1-63 letters, digits, ".", "_" or "-" starting with a letter or digit, got ${quote(id)}`);
  }
  return checkNoteId(id, 'witnessId');
}

/** Parses `projects/{project}/witnesses/{witness}`. */
export function parseWitnessName(name: string, field = 'name'): WitnessName {
  const m = /^projects\/([^/]+)\/witnesses\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`${field} must look like "projects/{project}/witnesses/{witness}", got ${quote(name)}`);
  return { projectId: checkProjectId(m[1]!, field), witnessId: checkWitnessId(m[2]!) };
}

export const witnessName = (w: WitnessName): string => `projects/${w.projectId}/witnesses/${w.witnessId}`;
export const witnessNoteName = (w: WitnessName): string => `projects/${w.projectId}/notes/${w.witnessId}`;
