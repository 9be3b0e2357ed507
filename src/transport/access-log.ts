import type { Logger } from '../logger';

/** One request as the access log records it: never a header, a body or a token. */
export interface AccessEntry {
  readonly transport: 'rest' | 'grpc';
  readonly method: string;
  /** The matched route pattern (`/v1/projects/:parent/policies`) or gRPC method path, not the raw URL. */
  readonly route: string;
  /** The RPC the route serves (`GetProject`), when one matched. */
  readonly rpc: string | undefined;
  /** HTTP status (REST) or the gRPC code name. */
  readonly status: number | string;
  readonly durationMs: number;
  /** The token's subject, when the request carried a valid one. */
  readonly actor: string | undefined;
  readonly requestId: string;
}

/** Writes one line per request (ACCESS_LOG=true). */
export type AccessLog = (entry: AccessEntry) => void;

/** The access log of a server: one pino line `request` at info level per request, tagged `log: "access"`. */
export function accessLog(logger: Logger): AccessLog {
  const log = logger.child({ log: 'access' });
  return (e) => log.info({ ...e, durationMs: Math.round(e.durationMs * 1000) / 1000, actor: e.actor ?? 'anonymous' }, 'request');
}
