import type { NextFunction, Request, Response } from 'express';
import type { Authenticator } from '../../auth/authenticator';
import type { RequestContext } from '../../domain/request-context';
import { authenticate, type Authentication } from '../authentication';
import type { RefusalSink } from '../refusal-sink';
import { googleError } from './google-error';

/** Where the authentication middleware keeps its answer for the middlewares and routes after it. */
const AUTHENTICATION = 'authentication';

/** REST's authentication edge: verifies the Authorization header once per request, before routing. */
export function authenticateRequests(authenticator: Authenticator) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const auth = authenticate(authenticator, req.get('authorization'), String(res.locals.requestId), 'rest');
    if (!(auth instanceof Promise)) {
      res.locals[AUTHENTICATION] = auth;
      next();
      return;
    }
    auth.then((a) => {
      res.locals[AUTHENTICATION] = a;
      next();
    }, next);
  };
}

/** The request's authentication; a route reached without the middleware is a wiring defect (INTERNAL). */
export function authenticationOf(res: Response): Authentication {
  const auth = res.locals[AUTHENTICATION] as Authentication | undefined;
  if (!auth) throw new Error('REST request reached a route without passing the authentication middleware');
  return auth;
}

/** The subject of the request's valid token, if it got that far (for the access log; never throws). */
export function actorOf(res: Response): string | undefined {
  const auth = res.locals[AUTHENTICATION] as Authentication | undefined;
  return auth?.failure ? undefined : auth?.ctx.principal?.subject;
}

/** The RequestContext of an authenticated request, for the route's handler. */
export function requestContextOf(res: Response): RequestContext {
  return authenticationOf(res).ctx;
}

/**
 * Answers 401 to a request whose credentials failed (after the rate limiter counted it), and reports the
 * refusal as `HTTP <verb>` on the resource its path names: the RPC is not known before routing.
 */
export function refuseUnauthenticated(onRefusal: RefusalSink) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { ctx, failure } = authenticationOf(res);
    if (!failure) {
      next();
      return;
    }
    onRefusal({
      ctx,
      actor: failure.actor,
      method: `HTTP ${req.method}`.slice(0, 20),
      resource: resourceOfPath(req.path),
      error: failure.error,
    });
    const { status, body } = googleError(failure.error, ctx.requestId);
    res.status(status).json(body);
  };
}

/** `/v1/projects/p/notes/n:verb` → `projects/p/notes/n`. */
function resourceOfPath(path: string): string {
  let p = path;
  try {
    p = decodeURIComponent(path);
  } catch {
    // keep the raw path
  }
  return p
    .replace(/^\/v1\//, '')
    .replace(/^\//, '')
    .replace(/:[A-Za-z]+$/, '')
    .slice(0, 512);
}
