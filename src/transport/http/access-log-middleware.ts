import type { NextFunction, Request, Response } from 'express';
import type { AccessLog } from '../access-log';
import { actorOf } from './rest-authentication';

/** Records each REST request once it is answered (or its connection closed): method, route pattern, status, time, actor. */
export function accessLogMiddleware(log: AccessLog) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    let done = false;
    const write = (): void => {
      if (done) return;
      done = true;
      const route = (req.route as { path?: unknown } | undefined)?.path;
      log({
        transport: 'rest',
        method: req.method,
        route: typeof route === 'string' ? `${req.baseUrl}${route}` : req.baseUrl || 'unmatched',
        rpc: typeof res.locals.rpc === 'string' ? res.locals.rpc : undefined,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        actor: actorOf(res),
        requestId: String(res.locals.requestId ?? ''),
      });
    };
    res.once('finish', write);
    res.once('close', write);
    next();
  };
}
