import type * as protobuf from 'protobufjs';
import { anyTarget, SPECIAL_JSON } from './any-type';
import { isJsonObject } from './json-errors';
import { type FieldPlan, type TypePlan, fieldById, typePlan } from './type-plan';
import { fieldMaskToPaths, parseDuration, parseTimestamp } from './well-known-json';

/*
 * Canonical proto3 JSON → a plain object protobufjs' generated encoder accepts (keys = proto names, enums as
 * numbers, int64 as decimal strings, bytes as base64 strings: the writer decodes those itself). Input is
 * expected to be canonical already (readProtoJson output or built by attestd): mismatches are programming
 * errors, reported as plain Errors with the field path.
 */

type Obj = Record<string, unknown>;

function bad(path: string, message: string): never {
  throw new Error(`proto-codec: ${path || '(message)'}: ${message}`);
}

const DECIMAL = /^-?\d{1,40}$/;

/** Encodable form of a value of message type `plan` (well-known JSON forms included). */
export function toEncodable(plan: TypePlan, json: unknown, path: string): unknown {
  switch (plan.wellKnown) {
    case 'Timestamp':
      return secondsNanos(plan.type, parseTimestamp(json, path));
    case 'Duration':
      return secondsNanos(plan.type, parseDuration(json, path));
    case 'FieldMask':
      if (typeof json !== 'string') bad(path, 'a FieldMask must be a string');
      return { [fieldById(plan.type, 1).name]: fieldMaskToPaths(json) };
    case 'Struct':
      return structToEncodable(plan.type, json, path);
    case 'ListValue':
      return listToEncodable(plan.type, json, path);
    case 'Value':
      return valueToEncodable(plan.type, json, path);
    case 'Wrapper': {
      const inner = fieldById(plan.type, 1);
      return { [inner.name]: scalarToEncodable(inner.type, json, path) };
    }
    case 'Any':
      return anyToEncodable(plan, json, path);
    case undefined:
      return messageToEncodable(plan, json, path);
  }
}

function messageToEncodable(plan: TypePlan, json: unknown, path: string, skipKey?: string): Obj {
  if (!isJsonObject(json)) bad(path, `expected an object for ${plan.fullName}`);
  const out: Obj = {};
  for (const key of Object.keys(json)) {
    const value = json[key];
    if (value === undefined || key === skipKey) continue;
    const field = plan.byInputName.get(key);
    if (!field) bad(path, `unknown field "${key}" in ${plan.fullName}`);
    if (value === null && !(field.isValue && !field.repeated && !field.map)) continue;
    out[field.protoName] = fieldToEncodable(field, value, path ? `${path}.${key}` : key);
  }
  return out;
}

function fieldToEncodable(field: FieldPlan, value: unknown, path: string): unknown {
  if (field.map) {
    if (!isJsonObject(value)) bad(path, 'a map must be an object');
    if (field.keyType === 'bool' && Object.prototype.hasOwnProperty.call(value, 'false')) {
      bad(path, 'protobufjs cannot encode the map key false (bool keys are written from strings)');
    }
    const out: Obj = {};
    for (const key of Object.keys(value)) {
      const encoded = singleToEncodable(field, value[key], path);
      if (key === '__proto__') Object.defineProperty(out, key, { value: encoded, enumerable: true });
      else out[key] = encoded;
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) bad(path, 'a repeated field must be an array');
    return value.map((v) => singleToEncodable(field, v, path));
  }
  return singleToEncodable(field, value, path);
}

function singleToEncodable(field: FieldPlan, value: unknown, path: string): unknown {
  if (field.scalar) return scalarToEncodable(field.scalar, value, path);
  if (field.enumType) return enumToEncodable(field.enumType, value, path);
  return toEncodable(typePlan(field.messageType!), value, path);
}

function scalarToEncodable(type: string, value: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') bad(path, 'expected a string');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') bad(path, 'expected a boolean');
      return value;
    case 'bytes':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) bad(path, 'expected base64 bytes');
      return value;
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
      return bad(path, 'expected a number');
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      if (typeof value === 'string' ? DECIMAL.test(value) : Number.isSafeInteger(value)) return value;
      return bad(path, `expected ${type} as a decimal string`);
    default:
      if (Number.isInteger(value)) return value;
      if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
      return bad(path, `expected ${type} as an integer`);
  }
}

function enumToEncodable(enumType: protobuf.Enum, value: unknown, path: string): number {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(enumType.values, value)) return enumType.values[value]!;
  if (Number.isInteger(value)) return value as number;
  return bad(path, `${JSON.stringify(value)} is not a value of ${enumType.fullName.slice(1)}`);
}

function secondsNanos(type: protobuf.Type, { seconds, nanos }: { seconds: number; nanos: number }): Obj {
  const out: Obj = {};
  if (seconds !== 0) out[fieldById(type, 1).name] = seconds;
  if (nanos !== 0) out[fieldById(type, 2).name] = nanos;
  return out;
}

function structToEncodable(structType: protobuf.Type, json: unknown, path: string): Obj {
  if (!isJsonObject(json)) bad(path, 'a Struct must be an object');
  const fieldsField = fieldById(structType, 1);
  const valueType = fieldsField.resolvedType as protobuf.Type;
  const fields: Obj = {};
  for (const key of Object.keys(json)) {
    const encoded = valueToEncodable(valueType, json[key], `${path}.${key}`);
    if (key === '__proto__') Object.defineProperty(fields, key, { value: encoded, enumerable: true });
    else fields[key] = encoded;
  }
  return { [fieldsField.name]: fields };
}

function listToEncodable(listType: protobuf.Type, json: unknown, path: string): Obj {
  if (!Array.isArray(json)) bad(path, 'a ListValue must be an array');
  const valuesField = fieldById(listType, 1);
  const valueType = valuesField.resolvedType as protobuf.Type;
  return { [valuesField.name]: json.map((v, i) => valueToEncodable(valueType, v, `${path}[${i}]`)) };
}

/** google.protobuf.Value fields by number: 1 null, 2 number, 3 string, 4 bool, 5 struct, 6 list. */
function valueToEncodable(valueType: protobuf.Type, json: unknown, path: string): Obj {
  if (json === null) return { [fieldById(valueType, 1).name]: 0 };
  switch (typeof json) {
    case 'number':
      return { [fieldById(valueType, 2).name]: json };
    case 'string':
      return { [fieldById(valueType, 3).name]: json };
    case 'boolean':
      return { [fieldById(valueType, 4).name]: json };
    case 'bigint':
    case 'function':
    case 'object':
    case 'symbol':
    case 'undefined':
      break;
  }
  if (Array.isArray(json)) {
    const list = fieldById(valueType, 6);
    return { [list.name]: listToEncodable(list.resolvedType as protobuf.Type, json, path) };
  }
  const struct = fieldById(valueType, 5);
  return { [struct.name]: structToEncodable(struct.resolvedType as protobuf.Type, json, path) };
}

function anyToEncodable(plan: TypePlan, json: unknown, path: string): Obj {
  if (!isJsonObject(json)) bad(path, 'an Any must be an object');
  const typeUrl = json['@type'];
  if (typeUrl === undefined && Object.keys(json).length === 0) return {};
  if (typeof typeUrl !== 'string') bad(path, 'an Any needs an "@type" string');
  const target = anyTarget(plan.type.root, typeUrl);
  if (!target) bad(path, `type ${JSON.stringify(typeUrl)} is not in the loaded protos`);
  const inner = SPECIAL_JSON.has(target.wellKnown ?? '')
    ? toEncodable(target, json.value, `${path}.value`)
    : messageToEncodable(target, json, path, '@type');
  const bytes = target.type.encode(inner as Obj).finish();
  return { [fieldById(plan.type, 1).name]: typeUrl, [fieldById(plan.type, 2).name]: bytes };
}
