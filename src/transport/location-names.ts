import type protobuf from 'protobufjs';
import type { JsonObject } from '../domain/message-types';
import { httpBindings } from './http/http-bindings';

/** Regional names (`projects/p/locations/l/...`) address the same resources as global ones. */
export function withoutLocation(name: string): string {
  return name.replace(/^(projects\/[^/]+)\/locations\/[^/]+(?=\/|$)/, '$1');
}

/**
 * The request fields of an RPC that its google.api.http bindings accept in a `/locations/*` form
 * (e.g. `name` of GetNote: `projects/p/locations/l/notes/n`). REST reads them from the path; over gRPC
 * the same values arrive in the message and must address the same resources.
 */
export function locationFields(service: protobuf.Service, rpc: string): string[] {
  const fields = new Set<string>();
  for (const b of httpBindings(service)) {
    if (b.rpc !== rpc) continue;
    for (const pf of b.pathFields) if (pf.segments.includes('locations')) fields.add(pf.field);
  }
  return [...fields];
}

/** The request with the regional form of each of `fields` turned into the global one. */
export function withoutLocations(request: JsonObject, fields: readonly string[]): JsonObject {
  if (fields.length === 0) return request;
  const out: JsonObject = { ...request };
  for (const f of fields) if (typeof out[f] === 'string') out[f] = withoutLocation(out[f]);
  return out;
}
