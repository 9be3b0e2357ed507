/** A path parameter standing for one wildcard segment of a request field's resource name. */
export interface OpenApiPathParam {
  /** The OpenAPI parameter name, e.g. `project`. */
  readonly name: string;
  /** The request field (proto name) the segment belongs to, e.g. `name`. */
  readonly field: string;
  /** The field's value as a pattern of the parameters, e.g. `projects/{project}/notes/{note}`. */
  readonly pattern: string;
}

const IRREGULAR: Readonly<Record<string, string>> = { policies: 'policy', witnesses: 'witness', keys: 'key' };

/** `notes` → `note`, `policies` → `policy`, `witnesses` → `witness`, `signingRules` → `signingRule`. */
export function singular(collection: string): string {
  if (IRREGULAR[collection]) return IRREGULAR[collection];
  if (collection.endsWith('ies')) return `${collection.slice(0, -3)}y`;
  if (collection.endsWith('sses')) return collection.slice(0, -2);
  if (collection.endsWith('s')) return collection.slice(0, -1);
  return collection;
}

/**
 * Turns a google.api.http template into an OpenAPI path: `/v1/{name=projects/*\/notes/*}:x` →
 * `/v1/projects/{project}/notes/{note}:x`. A variable spanning several segments cannot be one OpenAPI
 * parameter, so its literal segments stay in the path and each wildcard is named after the collection
 * before it (or after the field when there is none).
 */
export function openApiPath(template: string): { path: string; params: OpenApiPathParam[] } {
  const params: OpenApiPathParam[] = [];
  const used = new Set<string>();
  const path = template.replace(/\{([A-Za-z_.]+)(?:=([^}]*))?\}/g, (_m, field: string, pattern: string | undefined) => {
    const segments = (pattern ?? '*').split('/');
    const out = segments.map((s, i) => {
      if (s !== '*' && s !== '**') return s;
      const prev = i > 0 ? segments[i - 1]! : undefined;
      let name = prev && !prev.includes('*') ? singular(prev) : field.replace(/_([a-z])/g, (_x, c: string) => c.toUpperCase());
      for (let n = 2; used.has(name); n++) name = `${name.replace(/\d+$/, '')}${n}`;
      used.add(name);
      return `{${name}}`;
    });
    const joined = out.join('/');
    for (const s of out) if (s.startsWith('{')) params.push({ name: s.slice(1, -1), field, pattern: joined });
    return joined;
  });
  return { path, params };
}
