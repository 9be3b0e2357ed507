import { invalidArgument, notFound } from '../domain/api-error';
import { checkNoteId } from '../domain/names';
import type { Stores } from '../domain/stores/unit-of-work';
import { checkResourceId, formatResourceName, parseResourceName, type ResourceNaming } from '../resources/resource-names';

export interface WitnessName {
  readonly projectId: string;
  readonly witnessId: string;
}

/** Witness ids are note ids too (the witness's note shares it), limited to 1-63 letters, digits, `_`, `-`, `.`. */
export function checkWitnessId(id: string): string {
  return checkNoteId(checkResourceId(id, 'witnessId'), 'witnessId');
}

/** How witnesses are named: `projects/{project}/witnesses/{witness}`. */
export const WITNESS_NAMING: ResourceNaming = { plural: 'witnesses', placeholder: 'witness', checkId: checkWitnessId };

/** Parses `projects/{project}/witnesses/{witness}`. */
export function parseWitnessName(name: string, field = 'name'): WitnessName {
  const n = parseResourceName(WITNESS_NAMING, name, field);
  return { projectId: n.projectId, witnessId: n.id };
}

export const witnessName = (w: WitnessName): string => formatResourceName(WITNESS_NAMING, { projectId: w.projectId, id: w.witnessId });
export const witnessNoteName = (w: WitnessName): string => `projects/${w.projectId}/notes/${w.witnessId}`;

/** Checks a witness a resource of `projectId` names in `field`; `rule` says why it must be of that project. Returns the name. */
export function witnessOfProject(name: string, projectId: string, field: string, rule: string): string {
  const w = parseWitnessName(name, field);
  if (w.projectId !== projectId) throw invalidArgument(`${field} ${name} is in another project; ${rule}`);
  return witnessName(w);
}

/** Throws NOT_FOUND naming every witness of `names` that does not exist. */
export async function requireWitnesses(stores: Stores, names: readonly string[]): Promise<void> {
  const found = await stores.witnesses.getMany(names.map((n) => parseResourceName(WITNESS_NAMING, n)));
  const present = new Set(found.map((r) => formatResourceName(WITNESS_NAMING, r)));
  const missing = names.filter((n) => !present.has(n));
  if (missing.length > 0)
    throw notFound(`witness${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`);
}
