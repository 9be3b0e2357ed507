import { invalidArgument } from '../domain/api-error';
import { checkProjectId, quote } from '../domain/names';
import type { ResourceName } from '../domain/resources/resource-record';

/** How a kind names its resources: `projects/{project}/<plural>/{<placeholder>}`. */
export interface ResourceNaming {
  /** The collection segment of names and REST paths, e.g. "policies". */
  readonly plural: string;
  /** The id's placeholder in messages, e.g. "policy" in "projects/{project}/policies/{policy}". */
  readonly placeholder: string;
  /** Checks an id and returns it; throws INVALID_ARGUMENT naming the create request's id parameter. */
  checkId(id: string): string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Checks the usual resource id: 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export function checkResourceId(id: string, field: string): string {
  if (!ID.test(id)) {
    throw invalidArgument(`${field} must be 1-63 letters, digits, ".", "_" or "-" starting with a letter or digit, got ${quote(id)}`);
  }
  return id;
}

/** Parses `projects/{project}/<plural>/{id}`; `field` names the request field in the error. */
export function parseResourceName(naming: ResourceNaming, name: string, field = 'name'): ResourceName {
  const parts = name.split('/');
  if (parts.length !== 4 || parts[0] !== 'projects' || parts[2] !== naming.plural || !parts[1] || !parts[3]) {
    throw invalidArgument(`${field} must look like "projects/{project}/${naming.plural}/{${naming.placeholder}}", got ${quote(name)}`);
  }
  return { projectId: checkProjectId(parts[1], field), id: naming.checkId(parts[3]) };
}

/** The full name of a resource. */
export function formatResourceName(naming: ResourceNaming, n: ResourceName): string {
  return `projects/${n.projectId}/${naming.plural}/${n.id}`;
}
