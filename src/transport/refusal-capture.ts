import crypto from 'node:crypto';
import type http from 'node:http';
import type { Authenticator } from '../auth/authenticator';
import { ApiError } from '../domain/api-error';
import type { Principal, RequestContext } from '../domain/request-context';
import type { JsonObject } from '../domain/message-types';
import type { ServiceHandlers } from './rpc-handler';
import { authenticateRequest } from './http/request-auth';
import { projectOf } from '../domain/audit-event';
import type { SecurityEventLog } from '../audit/security-event-log';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Feeds refused calls (401, 403) from both transports into the security event log, without changing
 * what the transports answer: REST is watched at the HTTP listener, gRPC through a deferring
 * authenticator whose failure the wrapped handler rethrows first, and 403s through the wrapped handlers.
 */
export class RefusalCapture {
  private readonly failed = new WeakMap<Principal, { error: ApiError; anonymous: boolean }>();

  constructor(private readonly log: SecurityEventLog) {}

  /** Wraps every handler: a deferred authentication failure is rethrown before anything else runs. */
  wrapServices(services: readonly ServiceHandlers[]): ServiceHandlers[] {
    return services.map((svc) => ({
      service: svc.service,
      methods: Object.fromEntries(
        Object.entries(svc.methods).map(([method, handler]) => [
          method,
          async (ctx: RequestContext, r: JsonObject) => {
            const deferred = ctx.principal ? this.failed.get(ctx.principal) : undefined;
            if (deferred) {
              this.noteCall(ctx, method, r, deferred.error, deferred.anonymous ? 'anonymous' : 'unauthenticated');
              throw deferred.error;
            }
            try {
              return await handler(ctx, r);
            } catch (err) {
              if (err instanceof ApiError && (err.code === 'PERMISSION_DENIED' || err.code === 'UNAUTHENTICATED')) {
                this.noteCall(ctx, method, r, err, ctx.principal?.subject ?? 'anonymous');
              }
              throw err;
            }
          },
        ]),
      ),
    }));
  }

  /**
   * For gRPC: turns an authentication failure into a marker principal with no roles (harmless if it ever
   * escaped) so that the wrapped handler can record the refusal with its RPC and resource, then rethrow it.
   */
  deferringAuthenticator(inner: Authenticator): Authenticator {
    return {
      authenticate: (authorization) => {
        try {
          return inner.authenticate(authorization);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          const marker: Principal = Object.freeze({ subject: '', roles: Object.freeze({}) });
          this.failed.set(marker, { error: err, anonymous: !authorization });
          return marker;
        }
      },
    };
  }

  /** For REST: an HTTP listener that records every 401 answered to a call whose credentials fail `inner`. */
  httpListener(app: http.RequestListener, inner: Authenticator): http.RequestListener {
    return (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (!OPEN_PATHS.has(path)) {
        let requestId = req.headers['x-request-id'];
        if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
          requestId = crypto.randomUUID();
          req.headers['x-request-id'] = requestId;
        }
        const authorization = req.headers.authorization;
        let error: ApiError | undefined;
        try {
          authenticateRequest(req, inner);
        } catch (err) {
          if (err instanceof ApiError) error = err;
        }
        if (error) {
          const failure = error;
          const id = requestId;
          res.once('finish', () => {
            if (res.statusCode !== 401) return;
            const resource = resourceOfPath(path);
            this.log.note({
              projectId: projectOf(resource),
              actor: authorization ? 'unauthenticated' : 'anonymous',
              method: `HTTP ${req.method ?? ''}`.slice(0, 20),
              resource,
              requestId: id,
              transport: 'rest',
              code: failure.code,
              reason: failure.message,
            });
          });
        }
      }
      app(req, res);
    };
  }

  private noteCall(ctx: RequestContext, method: string, r: JsonObject, err: ApiError, actor: string): void {
    const resource = resourceOf(r);
    this.log.note({
      projectId: projectOf(resource),
      actor,
      method,
      resource,
      requestId: ctx.requestId,
      transport: ctx.transport,
      code: err.code,
      reason: err.message,
    });
  }
}

/** The resource a request is about: its name, its parent, or the project it creates. */
function resourceOf(r: JsonObject): string {
  const project = r.project as JsonObject | undefined;
  const v = r.name ?? r.parent ?? project?.name ?? '';
  return typeof v === 'string' ? v.slice(0, 512) : '';
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
