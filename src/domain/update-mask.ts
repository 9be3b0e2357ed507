import protobuf from 'protobufjs';
import { invalidArgument } from './api-error';
import { fieldJsonName } from './field-json-name';
import type { JsonObject } from './message-types';

/** A resolved mask path: JSON-name segments plus the oneof (if any) its last segment belongs to. */
interface MaskPath {
  readonly segments: string[];
  readonly oneofSiblings: string[];
}

/**
 * Resolves update-mask paths (snake_case or camelCase, dotted into sub-messages) against a message type.
 * `*` means every field. Unknown paths and the type's immutable fields are INVALID_ARGUMENT.
 */
export function resolveMask(type: protobuf.Type, paths: readonly string[], immutable: ReadonlySet<string>): MaskPath[] {
  if (paths.includes('*')) {
    if (paths.length > 1) throw invalidArgument('updateMask: "*" must be the only path when present');
    return type.fieldsArray.filter((f) => !immutable.has(f.name)).map((f) => toMaskPath([f]));
  }
  return paths.map((path) => {
    const fields: protobuf.Field[] = [];
    let current: protobuf.Type | undefined = type;
    for (const segment of path.split('.')) {
      if (!current) throw invalidArgument(`updateMask: path "${path}" goes inside a field that is not a message`);
      const field: protobuf.Field | undefined = current.fields[segment] ?? current.fieldsArray.find((f) => fieldJsonName(f) === segment);
      if (!field) throw invalidArgument(`updateMask: unknown field "${segment}" in path "${path}" of ${current.fullName.slice(1)}`);
      if (fields.length === 0 && immutable.has(field.name)) {
        throw invalidArgument(`updateMask: "${path}" cannot be changed (it is set by the server or immutable)`);
      }
      fields.push(field);
      field.resolve();
      current = !field.repeated && !field.map && field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    }
    return toMaskPath(fields);
  });
}

/** The mask a PATCH body implies: its top-level fields, minus server-set ones. */
export function impliedMask(patch: JsonObject, serverSet: ReadonlySet<string>): string[] {
  return Object.keys(patch).filter((k) => !serverSet.has(k));
}

/** Copies the masked fields from `patch` into a copy of `current`; a path absent from the patch is cleared. */
export function applyMask(current: JsonObject, patch: JsonObject, mask: readonly MaskPath[]): JsonObject {
  const result = structuredClone(current);
  for (const { segments, oneofSiblings } of mask) {
    const value = getPath(patch, segments);
    const parent = ensureParent(result, segments);
    const leaf = segments[segments.length - 1]!;
    if (value === undefined) delete parent[leaf];
    else {
      parent[leaf] = structuredClone(value);
      for (const sibling of oneofSiblings) delete parent[sibling];
    }
  }
  return result;
}

function toMaskPath(fields: protobuf.Field[]): MaskPath {
  const last = fields[fields.length - 1]!;
  const oneof = last.partOf;
  return {
    segments: fields.map(fieldJsonName),
    oneofSiblings: oneof ? oneof.fieldsArray.filter((f) => f !== last).map(fieldJsonName) : [],
  };
}

function getPath(obj: JsonObject, segments: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const s of segments) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as JsonObject)[s];
  }
  return cur;
}

function ensureParent(obj: JsonObject, segments: readonly string[]): JsonObject {
  let cur = obj;
  for (const s of segments.slice(0, -1)) {
    if (!cur[s] || typeof cur[s] !== 'object') cur[s] = {};
    cur = cur[s] as JsonObject;
  }
  return cur;
}
