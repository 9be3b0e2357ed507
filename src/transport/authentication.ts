import type { Authenticator } from '../auth/authenticator';
import { ApiError } from '../domain/api-error';
import type { RequestContext } from '../domain/request-context';

/** Who is named in the security log for a call whose credentials failed: none sent, or bad ones. */
export type UnauthenticatedActor = 'anonymous' | 'unauthenticated';

/**
 * One call's authentication, done once by its transport: the RequestContext every handler receives, and
 * for credentials that failed, the UNAUTHENTICATED error the transport answers after the rate limiter ran.
 */
export type Authentication =
  | { readonly ctx: RequestContext; readonly failure?: undefined }
  | { readonly ctx: RequestContext; readonly failure: { readonly error: ApiError; readonly actor: UnauthenticatedActor } };

/**
 * Authenticates an Authorization value into the call's RequestContext; a refused token is returned, not thrown.
 * Synchronous for attestd's own tokens; a promise when an identity provider's token needs its keys.
 */
export function authenticate(
  authenticator: Authenticator,
  authorization: string | undefined,
  requestId: string,
  transport: RequestContext['transport'],
): Authentication | Promise<Authentication> {
  const refused = (err: unknown): Authentication => {
    // Anything but a refusal is a defect of the authenticator: it reaches the client as INTERNAL.
    if (!(err instanceof ApiError)) throw err;
    const actor = authorization === undefined || authorization === '' ? 'anonymous' : 'unauthenticated';
    return { ctx: { requestId, principal: undefined, transport }, failure: { error: err, actor } };
  };
  try {
    const principal = authenticator.authenticate(authorization);
    if (principal instanceof Promise) return principal.then((p) => ({ ctx: { requestId, principal: p, transport } }), refused);
    return { ctx: { requestId, principal, transport } };
  } catch (err) {
    return refused(err);
  }
}
