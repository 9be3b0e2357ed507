import type { RoleBinding } from '../domain/resources/identity-provider-spec';

/** One provider that verified a token: its project, its bindings and the token's claims. */
export interface VerifiedBy {
  readonly projectId: string;
  readonly bindings: readonly RoleBinding[];
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * The roles a token gets, per project: the union of the roles of every binding whose claim (a top-level claim)
 * equals its value, or, for an array claim, contains it. Other claim types match nothing.
 */
export function grantedRoles(verified: readonly VerifiedBy[]): Record<string, readonly string[]> {
  const roles: Record<string, Set<string>> = Object.create(null);
  for (const v of verified) {
    for (const b of v.bindings) {
      const value = Object.prototype.hasOwnProperty.call(v.claims, b.claim) ? v.claims[b.claim] : undefined;
      const matches = typeof value === 'string' ? value === b.equals : Array.isArray(value) && value.some((x) => x === b.equals);
      if (!matches) continue;
      const set = (roles[v.projectId] ??= new Set());
      for (const r of b.roles) set.add(r);
    }
  }
  const out: Record<string, readonly string[]> = Object.create(null);
  for (const [project, set] of Object.entries(roles).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    out[project] = Object.freeze([...set].sort());
  return Object.freeze(out);
}
