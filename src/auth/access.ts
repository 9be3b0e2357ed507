import { ApiError } from '../domain/api-error';
import type { Principal, RequestContext } from '../domain/request-context';
import { ROLE_PERMISSIONS, type Permission } from './permissions';

/** True when the principal holds a role granting `permission` on `projectId` (or on every project). */
export function isAllowed(principal: Principal, permission: Permission, projectId: string): boolean {
  return grants(principal, permission, projectId) || grants(principal, permission, '*');
}

/** Authorization decisions for services: every service call names the permission it needs. */
export class Access {
  /** `required` false only for embedded library use; the server always requires tokens. */
  constructor(private readonly required: boolean) {}

  /** Throws UNAUTHENTICATED without a caller, PERMISSION_DENIED without the permission. */
  check(ctx: RequestContext, permission: Permission, projectId: string): void {
    const p = ctx.principal;
    if (!p) {
      if (!this.required) return;
      throw new ApiError('UNAUTHENTICATED', 'a bearer token is required: send "Authorization: Bearer <token>"');
    }
    if (!isAllowed(p, permission, projectId)) {
      throw new ApiError('PERMISSION_DENIED', `permission "${permission}" on project "${projectId}" is not granted to "${p.subject}"`);
    }
  }

  /** The projects whose `permission` the caller holds, or undefined when it holds it on every project. */
  visibleProjects(ctx: RequestContext, permission: Permission): string[] | undefined {
    const p = ctx.principal;
    if (!p) return this.required ? [] : undefined;
    if (grants(p, permission, '*')) return undefined;
    return Object.keys(p.roles).filter((k) => k !== '*' && grants(p, permission, k));
  }
}

function grants(principal: Principal, permission: Permission, key: string): boolean {
  return (principal.roles[key] ?? []).some(
    (role) => role === 'admin' || ROLE_PERMISSIONS[role as keyof typeof ROLE_PERMISSIONS]?.has(permission) === true,
  );
}
