import type * as protobuf from 'protobufjs';
import { childPath, describe, fail, isJsonObject, setKey } from './json-errors';
import { checkString, readEnum, readMapKey, readScalar } from './json-scalars';
import { type FieldPlan, type TypePlan, fieldById, typePlan } from './type-plan';
import { readDuration, readFieldMask, readTimestamp } from './well-known-json';
import { anyTarget, SPECIAL_JSON } from './any-type';

/** Deepest nesting of messages (and Struct/Value levels) accepted from a client. */
export const MAX_JSON_DEPTH = 64;

/**
 * Validates proto3 JSON for `type` strictly and returns it in canonical form (JSON names, enum names,
 * int64 as strings, standard padded base64, UTC timestamps). Throws ApiError INVALID_ARGUMENT naming the
 * field path (prefixed by `fieldPath`). `null` means absent (except for google.protobuf.Value).
 * Values equal to proto3 defaults are kept as sent (normalized), not dropped: the output is predictable
 * and readProtoJson is idempotent. google.protobuf.Any is accepted only for types in the loaded root.
 */
export function readProtoJson(type: protobuf.Type, input: unknown, fieldPath = ''): Record<string, unknown> {
  const plan = typePlan(type);
  if (plan.wellKnown) throw new Error(`readProtoJson: ${plan.fullName} has no object form; read the message containing it`);
  return readMessage(plan, input, fieldPath, 1);
}

function checkDepth(path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) fail(path, `nested more than ${MAX_JSON_DEPTH} levels deep`);
}

/** Reads a value of message type (well-known JSON forms included). */
function readTyped(plan: TypePlan, value: unknown, path: string, depth: number): unknown {
  checkDepth(path, depth);
  switch (plan.wellKnown) {
    case 'Timestamp':
      return readTimestamp(value, path);
    case 'Duration':
      return readDuration(value, path);
    case 'FieldMask':
      return readFieldMask(value, path);
    case 'Struct':
      if (!isJsonObject(value)) fail(path, `expected a JSON object (google.protobuf.Struct), got ${describe(value)}`);
      return readStruct(value, path, depth);
    case 'ListValue':
      if (!Array.isArray(value)) fail(path, `expected an array (google.protobuf.ListValue), got ${describe(value)}`);
      return value.map((v, i) => readJsonValue(v, `${path}[${i}]`, depth + 1));
    case 'Value':
      return readJsonValue(value, path, depth);
    case 'Wrapper': {
      const inner = fieldById(plan.type, 1);
      return readScalar(inner.type, value, path);
    }
    case 'Any':
      return readAny(plan, value, path, depth);
    case undefined:
      return readMessage(plan, value, path, depth);
  }
}

function readMessage(plan: TypePlan, input: unknown, path: string, depth: number, skipKey?: string): Record<string, unknown> {
  if (!isJsonObject(input)) fail(path, `expected a JSON object (${plan.fullName}), got ${describe(input)}`);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (key === skipKey) continue;
    const field = plan.byInputName.get(key);
    if (!field) fail(childPath(path, key), `unknown field ${JSON.stringify(key)} in ${plan.fullName}`, path);
    if (field.protoName !== field.jsonName && key === field.protoName && Object.prototype.hasOwnProperty.call(input, field.jsonName)) {
      fail(
        childPath(path, field.jsonName),
        `field given twice, as ${JSON.stringify(field.jsonName)} and ${JSON.stringify(field.protoName)}`,
      );
    }
    const value = readField(field, input[key], childPath(path, field.jsonName), depth);
    if (value !== undefined) out[field.jsonName] = value;
  }
  for (const oneof of plan.oneofs) {
    const set = oneof.members.filter((m) => out[m.jsonName] !== undefined);
    if (set.length > 1) {
      const [a, b] = set as [FieldPlan, FieldPlan];
      fail(
        childPath(path, b.jsonName),
        `only one of the fields in oneof "${oneof.name}" may be set, got ${JSON.stringify(a.jsonName)} and ${JSON.stringify(b.jsonName)}`,
      );
    }
  }
  return out;
}

/** One field's value; undefined means absent (JSON null on a field that is not google.protobuf.Value). */
function readField(field: FieldPlan, value: unknown, path: string, depth: number): unknown {
  if (value === null) return field.isValue && !field.repeated && !field.map ? null : undefined;
  if (field.map) {
    if (!isJsonObject(value)) fail(path, `expected a JSON object (map), got ${describe(value)}`);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const entryPath = `${path}[${JSON.stringify(key)}]`;
      const canonicalKey = readMapKey(field.keyType!, key, entryPath);
      if (Object.prototype.hasOwnProperty.call(out, canonicalKey)) fail(entryPath, `duplicate map key ${canonicalKey}`);
      setKey(out, canonicalKey, readElement(field, value[key], entryPath, depth));
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
    return value.map((v, i) => readElement(field, v, `${path}[${i}]`, depth));
  }
  return readSingle(field, value, path, depth);
}

function readElement(field: FieldPlan, value: unknown, path: string, depth: number): unknown {
  if (value === null && !field.isValue) fail(path, 'null is not allowed here');
  return readSingle(field, value, path, depth);
}

function readSingle(field: FieldPlan, value: unknown, path: string, depth: number): unknown {
  if (field.scalar) return readScalar(field.scalar, value, path);
  if (field.enumType) return readEnum(field.enumType, value, path);
  return readTyped(typePlan(field.messageType!), value, path, depth + 1);
}

/** Any JSON value, as google.protobuf.Value carries it (strings checked, depth capped). */
function readJsonValue(value: unknown, path: string, depth: number): unknown {
  checkDepth(path, depth);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, `expected a finite number, got ${String(value)}`);
    return value;
  }
  if (typeof value === 'string') return checkString(value, path);
  if (Array.isArray(value)) return value.map((v, i) => readJsonValue(v, `${path}[${i}]`, depth + 1));
  if (isJsonObject(value)) return readStruct(value, path, depth);
  return fail(path, `expected a JSON value, got ${describe(value)}`);
}

function readStruct(value: Record<string, unknown>, path: string, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const entryPath = childPath(path, key);
    checkString(key, entryPath);
    setKey(out, key, readJsonValue(value[key], entryPath, depth + 1));
  }
  return out;
}

/** Any: `{"@type": url, ...fields}`, or `{"@type": url, "value": json}` for types with special JSON. */
function readAny(plan: TypePlan, value: unknown, path: string, depth: number): Record<string, unknown> {
  if (!isJsonObject(value)) fail(path, `expected a JSON object (google.protobuf.Any), got ${describe(value)}`);
  const typeUrl = value['@type'];
  if (typeUrl === undefined && Object.keys(value).length === 0) return {};
  if (typeof typeUrl !== 'string') fail(childPath(path, '@type'), 'google.protobuf.Any needs an "@type" string');
  checkString(typeUrl, childPath(path, '@type'));
  const target = anyTarget(plan.type.root, typeUrl);
  if (!target)
    fail(
      childPath(path, '@type'),
      `type ${JSON.stringify(typeUrl)} is not known to attestd (only types of the loaded protos can be carried in an Any)`,
    );
  if (SPECIAL_JSON.has(target.wellKnown ?? '')) {
    for (const key of Object.keys(value)) {
      if (key !== '@type' && key !== 'value')
        fail(childPath(path, key), `unknown field ${JSON.stringify(key)} in an Any holding ${target.fullName}`, path);
    }
    if (!Object.prototype.hasOwnProperty.call(value, 'value'))
      fail(childPath(path, 'value'), `an Any holding ${target.fullName} needs a "value"`);
    return { '@type': typeUrl, value: readTyped(target, value.value, childPath(path, 'value'), depth + 1) };
  }
  return { '@type': typeUrl, ...readMessage(target, value, path, depth + 1, '@type') };
}
