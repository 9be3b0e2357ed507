import { expect } from 'chai';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { ApiError } from '../../src/domain/api-error';
import { readMapKey, readScalar } from '../../src/proto/json-scalars';
import { readProtoJson } from '../../src/proto/proto-json-reader';
import { loadProtoRoot } from '../../src/proto/proto-root';
import { jsonNameFromProtoName } from '../../src/proto/type-plan';
import { readDuration, readTimestamp } from '../../src/proto/well-known-json';

const root = loadProtoRoot();
const type = (name: string) => root.lookupType(name);
const NOTE = 'grafeas.v1.Note';
const OCC = 'grafeas.v1.Occurrence';
const BATCH = 'grafeas.v1.BatchCreateNotesRequest';
const ANY = 'type.googleapis.com/';

interface Case {
  desc: string;
  type: string;
  /** Path prefix passed to readProtoJson. */
  prefix?: string;
  input: unknown;
  want?: unknown;
  /** Substring of the error message. */
  wantError?: string;
  /** violations[0].field */
  wantField?: string;
}

const note = (input: Record<string, unknown>): Pick<Case, 'type' | 'prefix' | 'input'> => ({ type: NOTE, prefix: 'note', input });
const occ = (input: Record<string, unknown>): Pick<Case, 'type' | 'prefix' | 'input'> => ({ type: OCC, prefix: 'occurrence', input });
const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

const cases: Case[] = [
  // keys
  { desc: 'JSON name', ...note({ shortDescription: 'x' }), want: { shortDescription: 'x' } },
  { desc: 'proto name becomes the JSON name', ...note({ short_description: 'x' }), want: { shortDescription: 'x' } },
  {
    desc: 'one field under both names',
    ...note({ shortDescription: 'x', short_description: 'y' }),
    wantError: 'given twice',
    wantField: 'note.shortDescription',
  },
  { desc: 'unknown field', ...note({ foo: 1 }), wantError: 'note: unknown field "foo" in grafeas.v1.Note', wantField: 'note.foo' },
  {
    desc: 'unknown field at top level',
    type: NOTE,
    input: { foo: 1 },
    wantError: 'unknown field "foo" in grafeas.v1.Note',
    wantField: 'foo',
  },
  {
    desc: 'json_name option (_type) and proto name',
    type: 'grafeas.v1.InTotoStatement',
    input: { type: 'https://in-toto.io/Statement/v0.1' },
    want: { _type: 'https://in-toto.io/Statement/v0.1' },
  },
  {
    desc: 'map keys are never renamed',
    type: BATCH,
    input: { parent: 'projects/p', notes: { my_note: { short_description: 'a' }, 'Other-Id': {} } },
    want: { parent: 'projects/p', notes: { my_note: { shortDescription: 'a' }, 'Other-Id': {} } },
  },
  {
    desc: 'map value: unknown field',
    type: BATCH,
    input: { notes: { my_note: { nope: 1 } } },
    wantError: 'unknown field "nope"',
    wantField: 'notes["my_note"].nope',
  },
  { desc: 'not an object', type: NOTE, input: 'note', wantError: 'expected a JSON object (grafeas.v1.Note), got string "note"' },
  // null
  { desc: 'null is absent', ...note({ shortDescription: null, relatedNoteNames: null, attestation: null }), want: {} },
  {
    desc: 'null in repeated',
    ...note({ relatedNoteNames: ['a', null] }),
    wantError: 'null is not allowed',
    wantField: 'note.relatedNoteNames[1]',
  },
  {
    desc: 'null in map<string, Value> is NullValue',
    type: 'grafeas.v1.InTotoSlsaProvenanceV1.ResourceDescriptor',
    input: { annotations: { a: null, b: [1, 'x', { c: null }] } },
    want: { annotations: { a: null, b: [1, 'x', { c: null }] } },
  },
  {
    desc: 'null in map<string, Note>',
    type: BATCH,
    input: { notes: { n: null } },
    wantError: 'null is not allowed',
    wantField: 'notes["n"]',
  },
  // strings
  { desc: 'string with U+0000', ...note({ shortDescription: 'a\u0000b' }), wantError: 'U+0000', wantField: 'note.shortDescription' },
  {
    desc: 'string with a lone surrogate',
    ...note({ shortDescription: 'a\ud800b' }),
    wantError: 'surrogate',
    wantField: 'note.shortDescription',
  },
  { desc: 'string with an emoji (surrogate pair)', ...note({ shortDescription: 'ok 😀' }), want: { shortDescription: 'ok 😀' } },
  { desc: 'number where a string belongs', ...note({ name: 5 }), wantError: 'expected a string, got number 5', wantField: 'note.name' },
  // bool
  { desc: 'bool', type: 'grafeas.v1.ListOccurrencesRequest', input: { returnPartialSuccess: true }, want: { returnPartialSuccess: true } },
  {
    desc: 'bool as a string',
    type: 'grafeas.v1.ListOccurrencesRequest',
    input: { return_partial_success: 'true' },
    wantError: 'expected true or false',
    wantField: 'returnPartialSuccess',
  },
  // int32
  { desc: 'int32 number and string', type: 'grafeas.v1.ListOccurrencesRequest', input: { pageSize: '20' }, want: { pageSize: 20 } },
  {
    desc: 'int32 fraction',
    type: 'grafeas.v1.ListOccurrencesRequest',
    input: { pageSize: 1.5 },
    wantError: 'expected an integer',
    wantField: 'pageSize',
  },
  {
    desc: 'int32 out of range',
    type: 'grafeas.v1.ListOccurrencesRequest',
    input: { pageSize: 2 ** 31 },
    wantError: 'out of range for int32',
  },
  {
    desc: 'int32 hex string',
    ...occ({ image: { distance: '0x10' } }),
    wantError: 'expected an integer',
    wantField: 'occurrence.image.distance',
  },
  // int64
  {
    desc: 'int64 number and string → string',
    ...occ({ build: { intotoProvenance: { recipe: { definedInMaterial: 7 } } } }),
    want: { build: { intotoProvenance: { recipe: { definedInMaterial: '7' } } } },
  },
  {
    desc: 'int64 max as string',
    ...occ({ build: { intotoProvenance: { recipe: { definedInMaterial: '9223372036854775807' } } } }),
    want: { build: { intotoProvenance: { recipe: { definedInMaterial: '9223372036854775807' } } } },
  },
  {
    desc: 'int64 overflow',
    ...occ({ build: { intotoProvenance: { recipe: { definedInMaterial: '9223372036854775808' } } } }),
    wantError: 'out of range for int64',
    wantField: 'occurrence.build.intotoProvenance.recipe.definedInMaterial',
  },
  {
    desc: 'int64 unsafe number',
    ...occ({ build: { intotoProvenance: { recipe: { definedInMaterial: 2 ** 60 } } } }),
    wantError: 'send int64 values as strings',
  },
  // float / double
  {
    desc: 'float, NaN, Infinity',
    ...occ({ vulnerability: { cvssScore: 7.5, risk: { epss: { score: 'NaN', percentile: '-Infinity' } } } }),
    want: { vulnerability: { cvssScore: 7.5, risk: { epss: { score: 'NaN', percentile: '-Infinity' } } } },
  },
  {
    desc: 'float out of range',
    ...occ({ vulnerability: { cvssScore: 1e39 } }),
    wantError: 'out of range for float',
    wantField: 'occurrence.vulnerability.cvssScore',
  },
  {
    desc: 'number as a string',
    ...occ({ vulnerability: { cvssScore: '7.5' } }),
    wantError: 'expected a number',
    wantField: 'occurrence.vulnerability.cvssScore',
  },
  // bytes
  {
    desc: 'bytes: URL-safe and unpadded → standard padded',
    ...occ({ attestation: { serializedPayload: 'aGVsbG8', signatures: [{ signature: '-_8', publicKeyId: 'k' }, { signature: '+/8=' }] } }),
    want: { attestation: { serializedPayload: 'aGVsbG8=', signatures: [{ signature: '+/8=', publicKeyId: 'k' }, { signature: '+/8=' }] } },
  },
  {
    desc: 'bytes: bad character',
    ...occ({ attestation: { signatures: [{ signature: 'ab!c' }] } }),
    wantError: 'occurrence.attestation.signatures[0].signature: not valid base64',
    wantField: 'occurrence.attestation.signatures[0].signature',
  },
  {
    desc: 'bytes: mixed alphabets',
    ...occ({ attestation: { serializedPayload: 'a+b-' } }),
    wantError: 'mixes',
    wantField: 'occurrence.attestation.serializedPayload',
  },
  { desc: 'bytes: truncated', ...occ({ attestation: { serializedPayload: 'abcde' } }), wantError: 'truncated' },
  { desc: 'bytes: wrong padding', ...occ({ attestation: { serializedPayload: 'ab=' } }), wantError: 'wrong padding' },
  {
    desc: 'bytes: whitespace',
    ...occ({ envelope: { payload: 'aGVs bG8=' } }),
    wantError: 'not valid base64',
    wantField: 'occurrence.envelope.payload',
  },
  // enums
  { desc: 'enum by name', ...note({ kind: 'ATTESTATION' }), want: { kind: 'ATTESTATION' } },
  { desc: 'enum by number', ...note({ kind: 7 }), want: { kind: 'ATTESTATION' } },
  { desc: 'enum: unknown name', ...note({ kind: 'NOPE' }), wantError: 'is not a value of grafeas.v1.NoteKind', wantField: 'note.kind' },
  { desc: 'enum: undefined number', ...note({ kind: 99 }), wantError: 'number 99 is not a value of grafeas.v1.NoteKind' },
  { desc: 'enum: number as a string', ...note({ kind: '7' }), wantError: 'is not a value of grafeas.v1.NoteKind' },
  // repeated and maps
  { desc: 'repeated', ...note({ relatedNoteNames: ['projects/p/notes/a'] }), want: { relatedNoteNames: ['projects/p/notes/a'] } },
  {
    desc: 'repeated given a scalar',
    ...note({ relatedNoteNames: 'projects/p/notes/a' }),
    wantError: 'expected an array',
    wantField: 'note.relatedNoteNames',
  },
  { desc: 'map given an array', type: BATCH, input: { notes: [] }, wantError: 'expected a JSON object (map)', wantField: 'notes' },
  { desc: 'map key with U+0000', type: BATCH, input: { notes: { 'a\u0000': {} } }, wantError: 'U+0000' },
  // oneof
  {
    desc: 'oneof: one member',
    ...note({ attestation: { hint: { humanReadableName: 'h' } } }),
    want: { attestation: { hint: { humanReadableName: 'h' } } },
  },
  {
    desc: 'oneof: two members',
    ...note({ attestation: {}, build: {} }),
    wantError: 'oneof "type" may be set, got "build" and "attestation"',
    wantField: 'note.attestation',
  },
  { desc: 'oneof: second member null', ...note({ attestation: {}, build: null }), want: { attestation: {} } },
  // nested messages
  {
    desc: 'string where a message belongs',
    ...occ({ attestation: 'x' }),
    wantError: 'expected a JSON object (grafeas.v1.AttestationOccurrence)',
    wantField: 'occurrence.attestation',
  },
  // Timestamp
  {
    desc: 'timestamp with offset → Z, nanos kept',
    ...note({ createTime: '2024-01-01T01:00:00.5+01:00' }),
    want: { createTime: '2024-01-01T00:00:00.500Z' },
  },
  {
    desc: 'timestamp: 0/3/6/9 digits',
    ...note({
      createTime: '2024-02-29T23:59:59.0Z',
      updateTime: '2024-02-29t23:59:59.1234z',
      expirationTime: '1970-01-01T00:00:00.000000001-00:30',
    }),
    want: {
      createTime: '2024-02-29T23:59:59Z',
      updateTime: '2024-02-29T23:59:59.123400Z',
      expirationTime: '1970-01-01T00:30:00.000000001Z',
    },
  },
  {
    desc: 'timestamp: range ends',
    ...note({ createTime: '0001-01-01T00:00:00Z', updateTime: '9999-12-31T23:59:59.999999999Z' }),
    want: { createTime: '0001-01-01T00:00:00Z', updateTime: '9999-12-31T23:59:59.999999999Z' },
  },
  {
    desc: 'timestamp: before year 1 after the offset',
    ...note({ createTime: '0001-01-01T00:00:00+01:00' }),
    wantError: 'outside',
    wantField: 'note.createTime',
  },
  { desc: 'timestamp: no such day', ...note({ createTime: '2023-02-29T00:00:00Z' }), wantError: 'not a valid date' },
  { desc: 'timestamp: 10 fractional digits', ...note({ createTime: '2024-01-01T00:00:00.1234567891Z' }), wantError: 'RFC 3339' },
  { desc: 'timestamp: no zone', ...note({ createTime: '2024-01-01T00:00:00' }), wantError: 'RFC 3339' },
  { desc: 'timestamp: a number', ...note({ createTime: 1700000000 }), wantError: 'RFC 3339', wantField: 'note.createTime' },
  // FieldMask
  {
    desc: 'field mask: snake_case → camelCase',
    type: 'grafeas.v1.UpdateNoteRequest',
    input: { update_mask: 'short_description, long_description,attestation.hint' },
    want: { updateMask: 'shortDescription,longDescription,attestation.hint' },
  },
  {
    desc: 'field mask: empty path',
    type: 'grafeas.v1.UpdateNoteRequest',
    input: { updateMask: 'a,,b' },
    wantError: 'not a valid field path',
    wantField: 'updateMask',
  },
  { desc: 'field mask: not a string', type: 'grafeas.v1.UpdateNoteRequest', input: { updateMask: ['a'] }, wantError: 'comma-separated' },
  // Struct / Value / ListValue
  {
    desc: 'struct: any JSON object',
    ...occ({
      build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: { a: [1, true, null, { b: 'c' }] } } } } },
    }),
    want: {
      build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: { a: [1, true, null, { b: 'c' }] } } } } },
    },
  },
  {
    desc: 'struct: an array',
    ...occ({ build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: [1] } } } } }),
    wantError: 'google.protobuf.Struct',
    wantField: 'occurrence.build.inTotoSlsaProvenanceV1.predicate.buildDefinition.externalParameters',
  },
  {
    desc: 'struct: U+0000 inside',
    ...occ({ build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: { a: ['\u0000'] } } } } } }),
    wantError: 'U+0000',
    wantField: 'occurrence.build.inTotoSlsaProvenanceV1.predicate.buildDefinition.externalParameters.a[0]',
  },
  // Any
  {
    desc: 'any: message type inline',
    ...occ({ secret: { data: { '@type': `${ANY}grafeas.v1.Note`, short_description: 'x' } } }),
    want: { secret: { data: { '@type': `${ANY}grafeas.v1.Note`, shortDescription: 'x' } } },
  },
  {
    desc: 'any: well-known types under "value"',
    ...occ({
      build: {
        intotoProvenance: {
          recipe: {
            arguments: [
              { '@type': `${ANY}google.protobuf.Duration`, value: '1.500s' },
              { '@type': `${ANY}google.protobuf.Int64Value`, value: 5 },
              { '@type': `${ANY}google.protobuf.Value`, value: null },
              { '@type': `${ANY}google.protobuf.Timestamp`, value: '2024-01-01T00:00:00+00:00' },
            ],
          },
        },
      },
    }),
    want: {
      build: {
        intotoProvenance: {
          recipe: {
            arguments: [
              { '@type': `${ANY}google.protobuf.Duration`, value: '1.500s' },
              { '@type': `${ANY}google.protobuf.Int64Value`, value: '5' },
              { '@type': `${ANY}google.protobuf.Value`, value: null },
              { '@type': `${ANY}google.protobuf.Timestamp`, value: '2024-01-01T00:00:00Z' },
            ],
          },
        },
      },
    },
  },
  { desc: 'any: empty', ...occ({ secret: { data: {} } }), want: { secret: { data: {} } } },
  {
    desc: 'any: unknown type',
    ...occ({ secret: { data: { '@type': `${ANY}acme.Thing`, a: 1 } } }),
    wantError: 'not known to attestd',
    wantField: 'occurrence.secret.data.@type',
  },
  { desc: 'any: no @type', ...occ({ secret: { data: { a: 1 } } }), wantError: '"@type"' },
  {
    desc: 'any: unknown field next to @type',
    ...occ({ secret: { data: { '@type': `${ANY}grafeas.v1.Note`, nope: 1 } } }),
    wantError: 'unknown field "nope" in grafeas.v1.Note',
  },
  {
    desc: 'any: well-known type without value',
    ...occ({ secret: { data: { '@type': `${ANY}google.protobuf.Duration` } } }),
    wantError: 'needs a "value"',
  },
  {
    desc: 'any: wrong wrapper value',
    ...occ({ secret: { data: { '@type': `${ANY}google.protobuf.BoolValue`, value: 1 } } }),
    wantError: 'expected true or false',
    wantField: 'occurrence.secret.data.value',
  },
  // Empty
  { desc: 'Empty', type: 'google.protobuf.Empty', input: {}, want: {} },
  { desc: 'Empty with a field', type: 'google.protobuf.Empty', input: { a: 1 }, wantError: 'unknown field "a" in google.protobuf.Empty' },
  // depth
  {
    desc: 'struct nested 50 deep is fine',
    ...occ({ build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: nested(50) } } } } }),
    want: { build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: nested(50) } } } } },
  },
  {
    desc: 'struct nested 10000 deep',
    ...occ({ build: { inTotoSlsaProvenanceV1: { predicate: { buildDefinition: { externalParameters: nested(10000) } } } } }),
    wantError: 'nested more than 64 levels',
  },
];

describe('readProtoJson', () => {
  for (const c of cases) {
    it(c.desc, () => {
      const run = () => readProtoJson(type(c.type), c.input, c.prefix);
      if (c.wantError === undefined) {
        expect(run()).to.deep.equal(c.want);
        return;
      }
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err, 'expected an error').to.be.instanceOf(ApiError);
      const apiError = err as ApiError;
      expect(apiError.code).to.equal('INVALID_ARGUMENT');
      expect(apiError.message).to.include(c.wantError);
      expect(apiError.violations).to.have.length(1);
      if (c.wantField !== undefined) expect(apiError.violations[0]!.field).to.equal(c.wantField);
    });
  }
});

describe('readScalar / readMapKey / well-known strings', () => {
  const ok: [string, unknown, unknown][] = [
    ['uint32', '4294967295', 4294967295],
    ['sint32', -5, -5],
    ['fixed32', 0, 0],
    ['sfixed32', '-0', 0],
    ['uint64', '18446744073709551615', '18446744073709551615'],
    ['sint64', '-9223372036854775808', '-9223372036854775808'],
    ['fixed64', 12, '12'],
    ['int64', '007', '7'],
    ['double', 1e300, 1e300],
    ['bytes', '', ''],
  ];
  for (const [t, input, want] of ok) it(`${t} ${JSON.stringify(input)}`, () => expect(readScalar(t, input, 'f')).to.deep.equal(want));
  const bad: [string, unknown][] = [
    ['uint32', -1],
    ['uint64', '-1'],
    ['fixed64', '18446744073709551616'],
    ['int32', true],
    ['double', Infinity],
    ['int64', '1e3'],
  ];
  for (const [t, input] of bad) {
    it(`${t} ${String(input)} is rejected`, () => expect(() => readScalar(t, input, 'f')).to.throw(ApiError));
  }
  it('map keys: int, int64 and bool keys as strings', () => {
    expect(readMapKey('int32', '-5', 'm')).to.equal('-5');
    expect(readMapKey('uint64', '18446744073709551615', 'm')).to.equal('18446744073709551615');
    expect(readMapKey('bool', 'true', 'm')).to.equal('true');
    expect(() => readMapKey('bool', 'yes', 'm')).to.throw(ApiError, 'true');
    expect(() => readMapKey('int32', 'x', 'm')).to.throw(ApiError, 'decimal');
    expect(() => readMapKey('uint32', '-1', 'm')).to.throw(ApiError, 'out of range');
  });
  it('durations', () => {
    expect(readDuration('1.5s', 'd')).to.equal('1.500s');
    expect(readDuration('-0.000000001s', 'd')).to.equal('-0.000000001s');
    expect(readDuration('-0s', 'd')).to.equal('0s');
    expect(readDuration('315576000000s', 'd')).to.equal('315576000000s');
    expect(() => readDuration('315576000001s', 'd')).to.throw(ApiError, 'outside');
    expect(() => readDuration('1.5', 'd')).to.throw(ApiError, 'duration');
    expect(() => readDuration(1.5, 'd')).to.throw(ApiError, 'duration');
  });
  it('timestamps: nanos are exact for any offset', () => {
    expect(readTimestamp('2024-06-30T23:59:59.123456789-14:00', 't')).to.equal('2024-07-01T13:59:59.123456789Z');
    expect(readTimestamp('2024-01-01T00:00:00.120+05:30', 't')).to.equal('2023-12-31T18:30:00.120Z');
    expect(() => readTimestamp('2024-01-01T24:00:00Z', 't')).to.throw(ApiError);
    expect(() => readTimestamp('2024-01-01T00:00:60Z', 't')).to.throw(ApiError);
  });
});

describe('readProtoJson properties', () => {
  const noteType = type(NOTE);
  const occType = type(OCC);
  const onlyInvalidArgument = (t: typeof noteType) => (input: unknown) => {
    try {
      readProtoJson(t, input);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'INVALID_ARGUMENT') throw e;
    }
  };
  // Objects keyed by real field names (both spellings) reach deep into the reader, unlike random keys.
  const fieldNames = new Set<string>(['@type', 'value']);
  const collect = (t: typeof noteType, seen: Set<string>): void => {
    if (seen.has(t.fullName)) return;
    seen.add(t.fullName);
    for (const f of t.fieldsArray) {
      fieldNames.add(f.name);
      fieldNames.add(jsonNameFromProtoName(f.name));
      if (f.resolvedType instanceof protobuf.Type) collect(f.resolvedType, seen);
    }
  };
  const seen = new Set<string>();
  collect(noteType, seen);
  collect(occType, seen);
  const { shaped } = fc.letrec((tie) => ({
    shaped: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('NaN', 'ATTESTATION', 'aGVsbG8', '2024-01-01T00:00:00Z', '1.5s', 'a,b', `${ANY}grafeas.v1.Note`, 7, -1, 2 ** 40),
      fc.array(tie('shaped'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...fieldNames), tie('shaped'), { maxKeys: 4 }),
    ),
  }));
  for (const [name, t] of [
    ['Note', noteType],
    ['Occurrence', occType],
  ] as const) {
    it(`${name}: arbitrary JSON only ever gives INVALID_ARGUMENT`, () => {
      fc.assert(fc.property(fc.jsonValue(), onlyInvalidArgument(t)), { numRuns: 300 });
      fc.assert(fc.property(fc.object(), onlyInvalidArgument(t)), { numRuns: 300 });
      fc.assert(fc.property(fc.dictionary(fc.constantFrom(...fieldNames), shaped, { maxKeys: 6 }), onlyInvalidArgument(t)), {
        numRuns: 2000,
      });
    });
  }

  /** Plausible (often valid) Notes and Occurrences, built from field-shaped pieces. */
  const timestamp = fc
    .tuple(
      fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 999_999_999 }),
      fc.constantFrom('Z', '+01:00', '-09:30'),
    )
    .map(([d, nanos, zone]) => `${d.toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}${zone}`);
  const base64 = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url'));
  const text = fc.string({ maxLength: 20 });
  const validNote = fc.record(
    {
      name: text,
      short_description: text,
      kind: fc.oneof(fc.constantFrom('ATTESTATION', 'BUILD', 'NOTE_KIND_UNSPECIFIED'), fc.integer({ min: 0, max: 13 })),
      createTime: timestamp,
      related_note_names: fc.array(text, { maxLength: 3 }),
      attestation: fc.record({ hint: fc.record({ human_readable_name: text }) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );
  const validOcc = fc.record(
    {
      resourceUri: text,
      note_name: text,
      kind: fc.constantFrom('ATTESTATION', 7),
      update_time: timestamp,
      attestation: fc.record(
        {
          serialized_payload: base64,
          signatures: fc.array(fc.record({ signature: base64, public_key_id: text }, { requiredKeys: [] }), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
      envelope: fc.oneof(fc.constant(null), fc.record({ payload: base64, payloadType: text })),
    },
    { requiredKeys: [] },
  );
  for (const [name, t, arb] of [
    ['Note', noteType, validNote],
    ['Occurrence', occType, validOcc],
  ] as const) {
    it(`${name}: valid input is accepted and reading is idempotent`, () => {
      fc.assert(
        fc.property(arb, (input) => {
          let once: Record<string, unknown>;
          try {
            once = readProtoJson(t, input);
          } catch (e) {
            // Arbitrary strings may hold U+0000 or lone surrogates: the only acceptable rejection.
            if (e instanceof ApiError && /U\+0000|surrogate/.test(e.message)) return;
            throw e;
          }
          expect(readProtoJson(t, once)).to.deep.equal(once);
        }),
        { numRuns: 300 },
      );
    });
  }
});
