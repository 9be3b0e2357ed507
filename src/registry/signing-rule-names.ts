import { invalidArgument } from '../domain/api-error';
import { checkProjectId, quote } from '../domain/names';

export interface SigningRuleName {
  readonly projectId: string;
  readonly ruleId: string;
}

/** Rule ids: 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export function checkRuleId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(id)) {
    throw invalidArgument(`ruleId must be 1-63 letters, digits, ".", "_" or "-" starting with a letter or digit, got ${quote(id)}`);
  }
  return id;
}

/** Parses `projects/{project}/signingRules/{rule}`. */
export function parseSigningRuleName(name: string, field = 'name'): SigningRuleName {
  const m = /^projects\/([^/]+)\/signingRules\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`${field} must look like "projects/{project}/signingRules/{rule}", got ${quote(name)}`);
  return { projectId: checkProjectId(m[1]!, field), ruleId: checkRuleId(m[2]!) };
}

export const signingRuleName = (r: SigningRuleName): string => `projects/${r.projectId}/signingRules/${r.ruleId}`;
