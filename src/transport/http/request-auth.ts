import type http from 'node:http';
import type { Authenticator } from '../../auth/authenticator';
import type { Principal } from '../../domain/request-context';

interface Verified {
  readonly authenticator: Authenticator;
  readonly authorization: string | undefined;
  readonly principal?: Principal;
  readonly error?: unknown;
}

const verified = new WeakMap<http.IncomingMessage, Verified>();

/**
 * Authenticates a request's Authorization header once per request: the refusal capture, the rate limiter
 * and the route all ask, and a JWT verification is a signature check. The answer (principal or error) is
 * kept on the request object for the same authenticator and the same header value only, and goes with the
 * request; nothing is cached across requests.
 */
export function authenticateRequest(req: http.IncomingMessage, authenticator: Authenticator): Principal | undefined {
  const authorization = req.headers.authorization;
  const hit = verified.get(req);
  if (hit && hit.authenticator === authenticator && hit.authorization === authorization) {
    if ('error' in hit) throw hit.error;
    return hit.principal;
  }
  try {
    const principal = authenticator.authenticate(authorization);
    verified.set(req, { authenticator, authorization, principal });
    return principal;
  } catch (error) {
    verified.set(req, { authenticator, authorization, error });
    throw error;
  }
}
