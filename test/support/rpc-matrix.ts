import * as grpc from '@grpc/grpc-js';
import type { ErrorCode } from '../../src/domain/api-error';
import { ERROR_CODES } from '../../src/domain/error-codes';
import { grpcClient, serviceNames, type ClientMethod } from './grpc-clients';

/** Which roles an endpoint lets through (on the project it names). `admin` is implied. */
export const READERS = ['viewer', 'attestor', 'admission', 'admin'] as const;
export const OCCURRENCE_WRITERS = ['attestor', 'admin'] as const;
export const ADMINS = ['admin'] as const;
/** `:attest` (witnesses.attest). */
export const ATTESTORS = ['attestor', 'admin'] as const;
/** `:verifyImages` (images.verify). */
export const ADMISSION = ['admission', 'admin'] as const;

/** One RPC as the matrix calls it: REST verb + path + body, and the gRPC request; `{p}` is the project id. */
export interface Endpoint {
  readonly rpc: string;
  readonly service: string;
  readonly rest: readonly [verb: string, path: string, body?: unknown];
  readonly grpc: Record<string, unknown>;
  readonly allowed: readonly string[];
  /** List endpoints that filter what a caller sees instead of refusing (ListProjects). */
  readonly filters?: boolean;
}

/** Builds an endpoint line: `ep('GetNote', GRAFEAS, ['GET', '/v1/projects/{p}/notes/n1'], { name: 'projects/{p}/notes/n1' }, READERS)`. */
export function ep(
  rpc: string,
  service: string,
  rest: Endpoint['rest'],
  grpcRequest: Record<string, unknown>,
  allowed: readonly string[],
  filters = false,
): Endpoint {
  return { rpc, service, rest, grpc: grpcRequest, allowed, filters };
}

/** Replaces `{p}` everywhere in a JSON value. */
export function fill<T>(v: T, project: string): T {
  return JSON.parse(JSON.stringify(v).replace(/\{p\}/g, project)) as T;
}

export type Outcome = { code: ErrorCode | 'OK'; message: string };

/** Calls a REST path with an optional Authorization header value. */
export async function callRest(
  baseUrl: string,
  verb: string,
  path: string,
  body: unknown,
  authorization: string | undefined,
): Promise<Outcome> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`${baseUrl}${path}`, { method: verb, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status === 200) return { code: 'OK', message: '' };
  let status = '';
  let message = text;
  try {
    const e = (JSON.parse(text) as { error: { status: string; message: string } }).error;
    status = e.status;
    message = e.message;
  } catch {
    // not a Google error body
  }
  const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((k) => k === status && ERROR_CODES[k].http === res.status);
  if (!code) throw new Error(`unexpected REST answer ${res.status}: ${text.slice(0, 200)}`);
  return { code, message };
}

/** gRPC clients for every service in the protos, keyed by full service name. */
export function grpcClients(address: string): Map<string, grpc.Client> {
  return new Map(serviceNames().map((name) => [name, grpcClient(address, name)]));
}

/** Calls a gRPC method with an optional `authorization` metadata value. */
export function callGrpc(
  clients: Map<string, grpc.Client>,
  service: string,
  rpc: string,
  request: Record<string, unknown>,
  authorization: string | undefined,
): Promise<Outcome> {
  const client = clients.get(service) as unknown as Record<string, ClientMethod> | undefined;
  if (!client) throw new Error(`no gRPC client for ${service}`);
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise((resolve) => {
    client[rpc]!.call(client, request, metadata, { deadline: Date.now() + 20000 }, (err: grpc.ServiceError | null) => {
      if (!err) return resolve({ code: 'OK', message: '' });
      const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((k) => ERROR_CODES[k].grpc === Number(err.code));
      resolve({ code: code ?? 'INTERNAL', message: err.details });
    });
  });
}
