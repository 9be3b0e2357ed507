import * as protobuf from 'protobufjs';
import { typePlan, type FieldPlan } from '../../src/proto/type-plan';

/** A JSON Schema (OpenAPI 3.1 dialect) as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** `components/schemas` key of a message or enum: its full name without the leading dot. */
export function schemaName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

/** A `$ref` to a component schema. */
export function schemaRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Trimmed proto comment, or undefined when there is none. */
export function commentOf(comment: string | null | undefined): string | undefined {
  const text = comment?.trim();
  return text ? text : undefined;
}

/** proto3 JSON of the basic types: 64-bit integers are strings, bytes base64. */
const SCALARS: Readonly<Record<string, JsonSchema>> = {
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'float' },
  int32: { type: 'integer', format: 'int32' },
  sint32: { type: 'integer', format: 'int32' },
  sfixed32: { type: 'integer', format: 'int32' },
  uint32: { type: 'integer', format: 'uint32', minimum: 0 },
  fixed32: { type: 'integer', format: 'uint32', minimum: 0 },
  int64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  sint64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  sfixed64: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  uint64: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  fixed64: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  bool: { type: 'boolean' },
  string: { type: 'string' },
  bytes: { type: 'string', format: 'byte', contentEncoding: 'base64' },
};

/** Well-known types whose JSON form is not an object of their fields; inlined where used. */
const WELL_KNOWN: Readonly<Record<string, JsonSchema>> = {
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time', description: 'RFC 3339 timestamp, e.g. "2024-01-01T00:00:00Z".' },
  'google.protobuf.Duration': {
    type: 'string',
    pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$',
    description: 'Seconds with an "s" suffix, e.g. "3.5s".',
  },
  'google.protobuf.FieldMask': { type: 'string', description: 'Comma-separated lowerCamelCase field paths, e.g. "description,keys".' },
  'google.protobuf.Struct': { type: 'object', additionalProperties: true, description: 'Any JSON object.' },
  'google.protobuf.Value': { description: 'Any JSON value.' },
  'google.protobuf.ListValue': { type: 'array', items: {}, description: 'Any JSON array.' },
  'google.protobuf.Any': {
    type: 'object',
    required: ['@type'],
    properties: { '@type': { type: 'string', description: 'type.googleapis.com/<full message name>' } },
    additionalProperties: true,
    description: 'A message of the type "@type" names, its fields beside "@type" (well-known types: {"@type", "value"}).',
  },
  'google.protobuf.DoubleValue': { ...SCALARS.double },
  'google.protobuf.FloatValue': { ...SCALARS.float },
  'google.protobuf.Int64Value': { ...SCALARS.int64 },
  'google.protobuf.UInt64Value': { ...SCALARS.uint64 },
  'google.protobuf.Int32Value': { ...SCALARS.int32 },
  'google.protobuf.UInt32Value': { ...SCALARS.uint32 },
  'google.protobuf.BoolValue': { ...SCALARS.bool },
  'google.protobuf.StringValue': { ...SCALARS.string },
  'google.protobuf.BytesValue': { ...SCALARS.bytes },
};

/** The google.api.field_behavior values of a field (protobufjs keeps the last one given). */
export function fieldBehaviors(field: protobuf.Field): string[] {
  const v = field.options?.['(google.api.field_behavior)'];
  return Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];
}

/** Collects component schemas for every message and enum reachable from the ones asked for. */
export class SchemaRegistry {
  readonly schemas: Record<string, JsonSchema> = {};

  /** The schema of a value of this type: a `$ref` to its component, or the inline well-known form. */
  typeSchema(t: protobuf.Type | protobuf.Enum): JsonSchema {
    const name = schemaName(t);
    const wk = WELL_KNOWN[name];
    if (wk) return { ...wk };
    if (!(name in this.schemas)) {
      this.schemas[name] = {}; // placeholder: recursive messages refer to themselves
      this.schemas[name] = t instanceof protobuf.Enum ? enumSchema(t) : this.objectSchema(t, new Set());
    }
    return schemaRef(name);
  }

  /** A message as a JSON object, without the fields named in `omit` (proto names). */
  objectSchema(type: protobuf.Type, omit: ReadonlySet<string>): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const plan = typePlan(type);
    for (const fp of plan.fields) {
      if (omit.has(fp.protoName)) continue;
      const oneof = plan.oneofs.find((o) => o.name === fp.oneof);
      const oneofNote = oneof
        ? `Member of oneof \`${oneof.name}\`: at most one of ${oneof.members.map((m) => `\`${m.jsonName}\``).join(', ')} is set.`
        : undefined;
      properties[fp.jsonName] = this.fieldSchema(fp, oneofNote);
      if (fieldBehaviors(fp.field).includes('REQUIRED')) required.push(fp.jsonName);
    }
    const schema: JsonSchema = { type: 'object', properties };
    if (required.length > 0) schema.required = required.sort();
    const description = commentOf(type.comment);
    if (description) schema.description = description;
    return schema;
  }

  /** The schema of one field: repeated → array, map → additionalProperties, with its comment. */
  fieldSchema(fp: FieldPlan, extraNote?: string): JsonSchema {
    let schema = this.valueSchema(fp);
    if (fp.map) {
      schema = { type: 'object', additionalProperties: schema };
      if (fp.keyType !== 'string') schema.propertyNames = { description: `${fp.keyType} keys, written as JSON strings` };
    } else if (fp.repeated) schema = { type: 'array', items: schema };
    const behaviors = fieldBehaviors(fp.field);
    if (behaviors.includes('OUTPUT_ONLY')) schema.readOnly = true;
    if (fp.field.options?.deprecated === true) schema.deprecated = true;
    const description = [commentOf(fp.field.comment), schema.description as string | undefined, extraNote].filter(Boolean).join('\n\n');
    if (description) schema.description = description;
    else delete schema.description;
    return schema;
  }

  private valueSchema(fp: FieldPlan): JsonSchema {
    if (fp.messageType) return this.typeSchema(fp.messageType);
    if (fp.enumType) return this.typeSchema(fp.enumType);
    const scalar = SCALARS[fp.scalar ?? ''];
    if (!scalar) throw new Error(`no JSON schema for field ${fp.field.fullName} of type ${fp.field.type}`);
    return { ...scalar };
  }
}

/** An enum as its value names (numbers are accepted on input too), each value's comment listed. */
function enumSchema(e: protobuf.Enum): JsonSchema {
  const names = Object.keys(e.values);
  const lines = names
    .map((n) => [n, commentOf(e.comments[n])] as const)
    .filter(([, c]) => c)
    .map(([n, c]) => `- \`${n}\`: ${c!.replace(/\s*\n\s*/g, ' ')}`);
  const description = [commentOf(e.comment), lines.join('\n')].filter(Boolean).join('\n\n');
  const schema: JsonSchema = { type: 'string', enum: names };
  if (description) schema.description = description;
  return schema;
}
