import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type protobuf from 'protobufjs';
import type { Authenticator } from '../../auth/authenticator';
import { ApiError } from '../../domain/api-error';
import { deadlineIn, withDeadline } from '../../domain/request-deadline';
import type { Metrics } from '../../metrics';
import { rateKey, type RateLimiter } from '../rate-limiter';
import type { ServiceHandlers } from '../rpc-handler';
import { consoleRouter } from './console-router';
import { googleError } from './google-error';
import { authenticateRequests, authenticationOf, refuseUnauthenticated } from './rest-authentication';
import { errorMiddleware, requestIds, restRouter, type RestDeps } from './rest-router';
import type { AccessLog } from '../access-log';
import { accessLogMiddleware } from './access-log-middleware';

/** How long /readyz waits on the database: a probe that hangs would hold a pool connection (ADR 0075). */
const READY_DEADLINE_MS = 5000;

/** Largest accepted request body: a full 1000-item batch fits with room to spare. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface HttpAppDeps extends RestDeps {
  readonly root: protobuf.Root;
  /** Verifies each request's Authorization header, once, before routing. */
  readonly authenticator: Authenticator;
  readonly services: readonly ServiceHandlers[];
  readonly metrics: Metrics;
  /** Resolves true when the database is reachable and migrated. */
  readonly ready: () => Promise<boolean>;
  /** Whether /metrics answers without a token. */
  readonly metricsPublic: boolean;
  /** Per-caller limit for API calls (not health, readiness or metrics); none when undefined. */
  readonly rateLimiter?: RateLimiter;
  /** The console's built assets, served at /console/; no console when undefined. */
  readonly consoleDir?: string;
  /** One line per request (ACCESS_LOG); none when undefined. */
  readonly accessLog?: AccessLog;
}

/** The REST application: health, readiness, metrics and every RPC's REST bindings. */
export function httpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIds);
  if (deps.accessLog) app.use(accessLogMiddleware(deps.accessLog));
  // A JSON API: nothing may be framed, scripted or loaded from its answers.
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  app.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await withDeadline(deadlineIn(READY_DEADLINE_MS, 'the readiness check'), () => deps.ready()).catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready: database unreachable or not migrated' });
  });
  const metrics = async (_req: Request, res: Response): Promise<void> => {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  };
  if (deps.metricsPublic) app.get('/metrics', metrics);
  if (deps.consoleDir) app.use('/console', consoleRouter(deps.consoleDir));
  // Everything below is authenticated once, here; health, readiness and public metrics are not.
  app.use(authenticateRequests(deps.authenticator));
  if (!deps.metricsPublic) app.get('/metrics', refuseUnauthenticated(deps.onRefusal), requireCaller, metrics);
  if (deps.rateLimiter) app.use(rateLimit(deps.rateLimiter, deps));
  // After the rate limiter, so that a flood of bad tokens is limited per address like any other.
  app.use(refuseUnauthenticated(deps.onRefusal));
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  app.use(restRouter(deps.root, deps.services, deps));
  app.use((req: Request, res: Response) => {
    const err = new ApiError('NOT_FOUND', `no API at ${req.method} ${req.path}; see api/ for the REST paths`);
    const { status, body } = googleError(err, String(res.locals.requestId));
    res.status(status).json(body);
  });
  app.use(errorMiddleware(deps.logger, deps.classifyError));
  return app;
}

/** Refuses a caller over its rate with 429 RESOURCE_EXHAUSTED and Retry-After, before the body is read. */
function rateLimit(limiter: RateLimiter, deps: HttpAppDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // A failed token is counted against the address; refuseUnauthenticated answers 401 for it next.
    const subject = authenticationOf(res).ctx.principal?.subject;
    const key = rateKey(subject, req.socket.remoteAddress);
    const decision = limiter.take(key);
    if (decision.allowed) {
      next();
      return;
    }
    deps.metrics.observe('rest', 'RateLimited', 'RESOURCE_EXHAUSTED', 0);
    const { status, body } = googleError(limiter.refusal(key, decision.retryAfterSeconds), String(res.locals.requestId));
    res.setHeader('retry-after', String(decision.retryAfterSeconds));
    res.status(status).json(body);
  };
}

/** /metrics without METRICS_PUBLIC: any valid token (an authenticator that lets anonymous callers through is not enough). */
function requireCaller(_req: Request, res: Response, next: NextFunction): void {
  const { ctx } = authenticationOf(res);
  if (ctx.principal) {
    next();
    return;
  }
  const { status, body } = googleError(new ApiError('UNAUTHENTICATED', 'a bearer token is required for /metrics'), ctx.requestId);
  res.status(status).json(body);
}
