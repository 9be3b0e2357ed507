import { ApiError } from '../domain/api-error';
import type { JsonObject } from '../domain/message-types';
import type { RequestContext } from '../domain/request-context';

/** A refused call (UNAUTHENTICATED 401 or PERMISSION_DENIED 403) as its transport saw it. */
export interface Refusal {
  readonly ctx: RequestContext;
  /** The token's subject, or `anonymous` (no credentials) / `unauthenticated` (credentials that failed). */
  readonly actor: string;
  /** The RPC name, or `HTTP <verb>` for a REST call refused before routing. */
  readonly method: string;
  /** The resource the call named (its name, parent or the project it creates), at most 512 characters. */
  readonly resource: string;
  readonly error: ApiError;
}

/** The one hook both transports report refused calls to; the server feeds it to the security event log. */
export type RefusalSink = (refusal: Refusal) => void;

/** Reports `err` to the sink when it refuses the call (401/403); other errors are not refusals. */
export function reportRefusal(
  onRefusal: RefusalSink,
  ctx: RequestContext,
  method: string,
  request: JsonObject | undefined,
  err: unknown,
): void {
  if (!(err instanceof ApiError) || (err.code !== 'PERMISSION_DENIED' && err.code !== 'UNAUTHENTICATED')) return;
  onRefusal({ ctx, actor: ctx.principal?.subject ?? 'anonymous', method, resource: request ? resourceOf(request) : '', error: err });
}

/** The resource a request is about: its name, its parent, or the project it creates. */
export function resourceOf(request: JsonObject): string {
  const project = request.project as JsonObject | undefined;
  const v = request.name ?? request.parent ?? project?.name ?? '';
  return typeof v === 'string' ? v.slice(0, 512) : '';
}
