import * as protobuf from 'protobufjs';
import { fieldJsonName } from '../domain/field-json-name';

// The JSON field names live in the domain kernel (update masks use them); re-exported for the codec's users.
export { fieldJsonName, jsonNameFromProtoName } from '../domain/field-json-name';

/** Well-known types whose proto3 JSON form is not a plain object of fields. */
export type WellKnownKind = 'Timestamp' | 'Duration' | 'FieldMask' | 'Struct' | 'Value' | 'ListValue' | 'Any' | 'Wrapper';

/** Everything the JSON reader and the codec need to know about one field, computed once. */
export interface FieldPlan {
  readonly field: protobuf.Field;
  /** The name in the .proto file (the root is loaded with keepCase), the key protobufjs uses. */
  readonly protoName: string;
  /** The proto3 JSON name (json_name option, else lowerCamelCase). */
  readonly jsonName: string;
  readonly repeated: boolean;
  readonly map: boolean;
  /** Scalar map key type (`string`, `int64`, `bool`…), only for maps. */
  readonly keyType: string | undefined;
  /** Basic type (`string`, `int64`, `bytes`…) when the value is a scalar. */
  readonly scalar: string | undefined;
  readonly enumType: protobuf.Enum | undefined;
  readonly messageType: protobuf.Type | undefined;
  /** True when the field is google.protobuf.Value (JSON null is a value there, not absence). */
  readonly isValue: boolean;
  /** Member of a real (non-synthetic) oneof: its proto name. */
  readonly oneof: string | undefined;
  /** Explicit presence: message fields, oneof members and proto3 `optional` fields. */
  readonly hasPresence: boolean;
}

/** A message type compiled for fast JSON reading, encoding and decoding. */
export interface TypePlan {
  readonly type: protobuf.Type;
  /** Full name without the leading dot, e.g. `grafeas.v1.Note`. */
  readonly fullName: string;
  readonly wellKnown: WellKnownKind | undefined;
  /** Fields in declaration order. */
  readonly fields: readonly FieldPlan[];
  /** JSON name and proto name → field. */
  readonly byInputName: ReadonlyMap<string, FieldPlan>;
  /** Real oneofs with their members. */
  readonly oneofs: readonly { readonly name: string; readonly members: readonly FieldPlan[] }[];
}

/** Basic (scalar) protobuf types. */
export const SCALAR_TYPES: ReadonlySet<string> = new Set([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
  'bool',
  'string',
  'bytes',
]);

const WRAPPERS = ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'];

const WELL_KNOWN: ReadonlyMap<string, WellKnownKind> = new Map<string, WellKnownKind>([
  ['google.protobuf.Timestamp', 'Timestamp'],
  ['google.protobuf.Duration', 'Duration'],
  ['google.protobuf.FieldMask', 'FieldMask'],
  ['google.protobuf.Struct', 'Struct'],
  ['google.protobuf.Value', 'Value'],
  ['google.protobuf.ListValue', 'ListValue'],
  ['google.protobuf.Any', 'Any'],
  ...WRAPPERS.map((w): [string, WellKnownKind] => [`google.protobuf.${w}Value`, 'Wrapper']),
]);

const plans = new WeakMap<protobuf.Type, TypePlan>();

/** The compiled plan of a message type, built on first use and cached. */
export function typePlan(type: protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (!plan) {
    plan = compile(type);
    plans.set(type, plan);
  }
  return plan;
}

function compile(type: protobuf.Type): TypePlan {
  const fullName = type.fullName.replace(/^\./, '');
  const fields = type.fieldsArray.map(compileField);
  const byInputName = new Map<string, FieldPlan>();
  for (const f of fields) {
    byInputName.set(f.jsonName, f);
    byInputName.set(f.protoName, f);
  }
  const oneofs = type.oneofsArray
    .map((o) => ({ name: o.name, members: fields.filter((f) => f.oneof === o.name) }))
    .filter((o) => o.members.length > 0);
  return { type, fullName, wellKnown: WELL_KNOWN.get(fullName), fields, byInputName, oneofs };
}

function compileField(field: protobuf.Field): FieldPlan {
  field.resolve();
  const resolved = field.resolvedType;
  const messageType = resolved instanceof protobuf.Type ? resolved : undefined;
  const enumType = resolved instanceof protobuf.Enum ? resolved : undefined;
  const synthetic = Boolean(field.options?.proto3_optional);
  const realOneof = field.partOf && !synthetic ? field.partOf.name : undefined;
  return {
    field,
    protoName: field.name,
    jsonName: fieldJsonName(field),
    repeated: field.repeated,
    map: field.map,
    keyType: field.map ? (field as unknown as protobuf.MapField).keyType : undefined,
    scalar: !resolved && SCALAR_TYPES.has(field.type) ? field.type : undefined,
    enumType,
    messageType,
    isValue: messageType?.fullName === '.google.protobuf.Value',
    oneof: realOneof,
    hasPresence: Boolean(messageType) || Boolean(field.partOf),
  };
}

/** The field with the given number (well-known types are looked up by number: names differ by loader). */
export function fieldById(type: protobuf.Type, id: number): protobuf.Field {
  const field = type.fieldsById[id];
  if (!field) throw new Error(`${type.fullName} has no field number ${id}`);
  return field;
}

/** Enum value names by number, first-declared name for aliases. */
const canonicalNames = new WeakMap<protobuf.Enum, Map<number, string>>();

/** The canonical (first declared) name of an enum number, or undefined when the number is not defined. */
export function enumName(enumType: protobuf.Enum, value: number): string | undefined {
  let names = canonicalNames.get(enumType);
  if (!names) {
    names = new Map();
    for (const [name, num] of Object.entries(enumType.values)) if (!names.has(num)) names.set(num, name);
    canonicalNames.set(enumType, names);
  }
  return names.get(value);
}
