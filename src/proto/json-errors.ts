import { invalidArgument } from '../domain/api-error';

/**
 * Throws INVALID_ARGUMENT for one bad field: the message reads `<where>: <description>` and the violation
 * carries the field path. `where` defaults to the field path (pass the enclosing message for unknown fields).
 */
export function fail(field: string, description: string, where: string = field): never {
  throw invalidArgument(where ? `${where}: ${description}` : description, [{ field, description }]);
}

/** `a.b` / `b` when a is the empty (top-level) path. */
export function childPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** A short description of a JSON value for error messages (never echoes long input). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length <= 40 ? `string ${JSON.stringify(value)}` : 'a string';
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  return typeof value;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a key on an output object, even `__proto__` (which plain assignment would turn into a prototype). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
