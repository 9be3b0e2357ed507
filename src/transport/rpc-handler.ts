import type { RequestContext } from '../domain/request-context';
import type { JsonObject } from '../domain/message-types';

/** One RPC, transport-free: a validated request message in canonical proto3 JSON in, a response out. */
export type RpcHandler = (ctx: RequestContext, request: JsonObject) => Promise<JsonObject>;

/** The handlers of one proto service, keyed by method name (`GetNote`). */
export interface ServiceHandlers {
  /** Fully qualified service name, e.g. `grafeas.v1.Grafeas`. */
  readonly service: string;
  readonly methods: Readonly<Record<string, RpcHandler>>;
}
