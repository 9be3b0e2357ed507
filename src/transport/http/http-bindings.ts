import type protobuf from 'protobufjs';

/** One REST binding of an RPC, read from its google.api.http option. */
export interface HttpBinding {
  readonly rpc: string;
  readonly verb: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** The express route, e.g. `/v1/projects/:v0/notes/:v1`. */
  readonly route: string;
  /** Request fields filled from the path: field → how to assemble its value from route params. */
  readonly pathFields: readonly PathField[];
  /** `*` (the body is the request), a field name (the body is that field), or undefined (no body). */
  readonly body: string | undefined;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
}

/** A path variable: the literal and wildcard segments that make up its value. */
export interface PathField {
  readonly field: string;
  /** Literal segments as they are, wildcard segments as `:vN` route parameter names. */
  readonly segments: readonly string[];
}

interface HttpRule {
  get?: string;
  post?: string;
  patch?: string;
  put?: string;
  delete?: string;
  body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

const VERBS = ['get', 'post', 'patch', 'put', 'delete'] as const;

/** Every REST binding of every method of a service, from the protos' google.api.http options. */
export function httpBindings(service: protobuf.Service): HttpBinding[] {
  const out: HttpBinding[] = [];
  for (const method of service.methodsArray) {
    method.resolve();
    const rule = (method.parsedOptions ?? []).find((o: Record<string, unknown>) => o['(google.api.http)'])?.['(google.api.http)'] as
      HttpRule | undefined;
    if (!rule) continue;
    const extra = rule.additional_bindings;
    const rules = [rule, ...(Array.isArray(extra) ? extra : extra ? [extra] : [])];
    for (const r of rules) {
      const verb = VERBS.find((v) => typeof r[v] === 'string');
      if (!verb) continue;
      const { route, pathFields } = compileTemplate(r[verb]!);
      out.push({
        rpc: method.name,
        verb,
        route,
        pathFields,
        body: r.body,
        requestType: method.resolvedRequestType!,
        responseType: method.resolvedResponseType!,
      });
    }
  }
  return out;
}

/** Turns `/v1/{parent=projects/*}/notes:batchCreate` into an express route and path fields. */
export function compileTemplate(template: string): { route: string; pathFields: PathField[] } {
  let n = 0;
  const pathFields: PathField[] = [];
  const route = template.replace(/\{([a-z_.]+)(?:=([^}]*))?\}/g, (_m, field: string, pattern: string | undefined) => {
    const segments = (pattern ?? '*').split('/').map((s) => (s === '*' ? `:v${n++}` : s));
    pathFields.push({ field: camel(field), segments });
    return segments.join('/');
  });
  // A custom verb (`:batchCreate`) is literal text: escape its colon for express.
  return { route: route.replace(/([^/]):([A-Za-z]+)$/, '$1\\:$2'), pathFields };
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}
