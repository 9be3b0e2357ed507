import { expect } from 'chai';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { ApiError } from '../../src/domain/api-error';
import { protoCodec } from '../../src/proto/proto-codec';
import { readProtoJson } from '../../src/proto/proto-json-reader';
import { loadProtoRoot } from '../../src/proto/proto-root';
import { type FieldPlan, typePlan } from '../../src/proto/type-plan';

const root = loadProtoRoot();
const type = (name: string) => root.lookupType(name);
const ANY = 'type.googleapis.com/';

const roundTrips: { desc: string; type: string; json: Record<string, unknown> }[] = [
  {
    desc: 'Note: enums, timestamps with nanos, repeated, oneof message',
    type: 'grafeas.v1.Note',
    json: {
      name: 'projects/p/notes/n',
      shortDescription: 'short',
      kind: 'ATTESTATION',
      relatedUrl: [{ url: 'https://example.com', label: 'x' }],
      expirationTime: '9999-12-31T23:59:59.999999999Z',
      createTime: '2024-05-01T12:00:00.123Z',
      updateTime: '0001-01-01T00:00:00.000001Z',
      relatedNoteNames: ['projects/p/notes/a', 'projects/q/notes/b'],
      attestation: { hint: { humanReadableName: 'signer' } },
    },
  },
  {
    desc: 'Occurrence: attestation bytes, signatures, envelope, jwts',
    type: 'grafeas.v1.Occurrence',
    json: {
      name: 'projects/p/occurrences/o',
      resourceUri: 'https://registry.example.com/ns/app@sha256:' + 'a'.repeat(64),
      noteName: 'projects/p/notes/n',
      kind: 'ATTESTATION',
      createTime: '1969-12-31T23:59:59.999999999Z',
      attestation: {
        serializedPayload: Buffer.from('{"critical":{}}').toString('base64'),
        signatures: [{ signature: '+/8=', publicKeyId: 'kms://key/1' }, { signature: 'AA==' }],
        jwts: [{ compactJwt: 'a.b.c' }],
      },
      envelope: { payload: 'aGVsbG8=', payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'AQID', keyid: 'k' }] },
    },
  },
  {
    desc: 'Occurrence: int64, Struct, map<string, Value>, map<string, string>, Any, json_name',
    type: 'grafeas.v1.Occurrence',
    json: {
      build: {
        intotoProvenance: {
          recipe: {
            definedInMaterial: '-9223372036854775808',
            arguments: [
              { '@type': `${ANY}grafeas.v1.Note`, shortDescription: 'inline' },
              { '@type': `${ANY}google.protobuf.Duration`, value: '-1.500s' },
              { '@type': `${ANY}google.protobuf.UInt64Value`, value: '18446744073709551615' },
              { '@type': `${ANY}google.protobuf.Struct`, value: { a: [1, null] } },
            ],
          },
        },
        intotoStatement: { _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'x' },
        inTotoSlsaProvenanceV1: {
          predicate: {
            buildDefinition: {
              externalParameters: { a: 1.5, b: 'x', c: true, d: null, e: [1, [2], { f: {} }], g: {} },
              resolvedDependencies: [
                { digest: { sha256: 'abc', 'weird key.with/chars': 'v' }, annotations: { k: null, l: [], m: 'n' }, content: 'AA==' },
              ],
            },
          },
        },
      },
    },
  },
  {
    desc: 'Occurrence: float, double NaN/Infinity, enums deep',
    type: 'grafeas.v1.Occurrence',
    json: {
      vulnerability: { cvssScore: 7.5, severity: 'HIGH', risk: { epss: { score: 'NaN', percentile: '-Infinity' } }, fixAvailable: true },
    },
  },
  {
    desc: 'BatchCreateNotesRequest: map keys kept as sent',
    type: 'grafeas.v1.BatchCreateNotesRequest',
    json: {
      parent: 'projects/p',
      notes: { my_note: { shortDescription: 'a' }, 'Other-ID': { kind: 'BUILD', build: { builderVersion: '1' } }, empty: {} },
    },
  },
  {
    desc: 'UpdateNoteRequest: FieldMask',
    type: 'grafeas.v1.UpdateNoteRequest',
    json: { name: 'projects/p/notes/n', note: {}, updateMask: 'shortDescription,attestation.hint' },
  },
  {
    desc: 'ListOccurrencesRequest: int32, bool',
    type: 'grafeas.v1.ListOccurrencesRequest',
    json: { parent: 'projects/p', pageSize: 1000, returnPartialSuccess: true },
  },
  { desc: 'Empty', type: 'google.protobuf.Empty', json: {} },
];

describe('protoCodec', () => {
  describe('round trip: canonical JSON → binary → canonical JSON', () => {
    for (const c of roundTrips) {
      it(c.desc, () => {
        const codec = protoCodec(type(c.type));
        expect(readProtoJson(type(c.type), c.json), 'fixture is canonical').to.deep.equal(c.json);
        const bytes = codec.serialize(c.json);
        expect(Buffer.isBuffer(bytes)).to.equal(true);
        expect(codec.deserialize(bytes)).to.deep.equal(c.json);
      });
    }
  });

  it('caches one codec per type', () => {
    expect(protoCodec(type('grafeas.v1.Note'))).to.equal(protoCodec(type('grafeas.v1.Note')));
  });

  it('writes the wire format protobufjs reads (timestamp seconds/nanos, enum numbers, bytes)', () => {
    const occ = type('grafeas.v1.Occurrence');
    const json = readProtoJson(occ, {
      kind: 'ATTESTATION',
      createTime: '2024-01-01T01:00:00.5+01:00',
      attestation: { serializedPayload: '_-8' },
    });
    const decoded = occ.toObject(occ.decode(protoCodec(occ).serialize(json)), { longs: String, bytes: Array });
    expect(decoded).to.deep.equal({
      kind: 7,
      create_time: { seconds: '1704067200', nanos: 500_000_000 },
      attestation: { serialized_payload: [0xff, 0xef] },
    });
  });

  it('reads binary written by protobufjs, omitting defaults without presence', () => {
    const note = type('grafeas.v1.Note');
    const bytes = note
      .encode(
        note.fromObject({
          name: '',
          kind: 0,
          short_description: 'x',
          related_note_names: [],
          create_time: { seconds: 0, nanos: 0 },
          attestation: {},
        }),
      )
      .finish();
    expect(protoCodec(note).deserialize(Buffer.from(bytes))).to.deep.equal({
      shortDescription: 'x',
      createTime: '1970-01-01T00:00:00Z',
      attestation: {},
    });
  });

  describe('deserialize rejects what attestd cannot hold with INVALID_ARGUMENT', () => {
    const note = type('grafeas.v1.Note');
    const occ = type('grafeas.v1.Occurrence');
    const encode = (t: protobuf.Type, obj: Record<string, unknown>) => Buffer.from(t.encode(t.fromObject(obj)).finish());
    /** `obj` encoded, with the string field holding "XY" given the bytes `bytes` instead (same length). */
    const withBytes = (t: protobuf.Type, obj: Record<string, unknown>, bytes: number[]) => {
      const buf = encode(t, obj);
      const at = buf.indexOf('XY');
      buf.set(bytes, at);
      return buf;
    };
    const bad: [string, protobuf.Type, Buffer, string, string][] = [
      [
        'invalid UTF-8 in a string',
        note,
        withBytes(note, { short_description: 'XY' }, [0xc3, 0x28]),
        'shortDescription',
        'not valid UTF-8',
      ],
      [
        'a lone surrogate encoded in a string',
        note,
        withBytes(note, { long_description: 'aXYb' }, [0xed, 0xa0]),
        'longDescription',
        'UTF-8',
      ],
      [
        'invalid UTF-8 in a nested message',
        note,
        withBytes(note, { attestation: { hint: { human_readable_name: 'XY' } } }, [0xff, 0xfe]),
        'attestation.hint.humanReadableName',
        'not valid UTF-8',
      ],
      [
        'invalid UTF-8 in a repeated string',
        note,
        withBytes(note, { related_note_names: ['a', 'XY'] }, [0x80, 0x80]),
        'relatedNoteNames[1]',
        'UTF-8',
      ],
      ['U+0000 in a string', note, encode(note, { short_description: 'a\u0000' }), 'shortDescription', 'U+0000'],
      ['undefined enum number', note, encode(note, { kind: 99 }), 'kind', 'not a value of grafeas.v1.NoteKind'],
      ['timestamp beyond year 9999', note, encode(note, { create_time: { seconds: 253402300800 } }), 'createTime', 'out of range'],
      ['negative nanos', note, encode(note, { create_time: { seconds: 1, nanos: -1 } }), 'createTime', 'out of range'],
      [
        'Any of an unknown type',
        occ,
        encode(occ, { secret: { data: { type_url: `${ANY}acme.Thing`, value: [1] } } }),
        'secret.data.@type',
        'not known to attestd',
      ],
      ['truncated varint', note, Buffer.from([0x20, 0xff]), '', 'malformed grafeas.v1.Note'],
      ['invalid wire type', note, Buffer.from([0x0f]), '', 'malformed grafeas.v1.Note'],
    ];
    for (const [desc, t, buf, field, message] of bad) {
      it(desc, () => {
        let err: unknown;
        try {
          protoCodec(t).deserialize(buf);
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(ApiError);
        expect((err as ApiError).code).to.equal('INVALID_ARGUMENT');
        expect((err as ApiError).message).to.include(message);
        expect((err as ApiError).violations[0]!.field).to.equal(field);
      });
    }
  });

  it('reads a U+FFFD the client sent as valid UTF-8 as itself', () => {
    const note = type('grafeas.v1.Note');
    const bytes = Buffer.from(note.encode(note.fromObject({ short_description: 'a\ufffdb' })).finish());
    expect(protoCodec(note).deserialize(bytes)).to.deep.equal({ shortDescription: 'a\ufffdb' });
  });

  it('serialize refuses JSON that is not canonical for the type (a bug, not client input)', () => {
    const note = protoCodec(type('grafeas.v1.Note'));
    expect(() => note.serialize({ nope: 1 })).to.throw(Error, 'unknown field "nope"');
    expect(() => note.serialize({ kind: 'NOPE' })).to.throw(Error, 'not a value of grafeas.v1.NoteKind');
    expect(() => note.serialize({ name: 5 })).to.throw(Error, 'name: expected a string');
  });

  describe('scalar and map-key edge cases (a purpose-built type)', () => {
    const edge = protobuf
      .parse(
        `syntax = "proto3"; package t;
       message Edge {
         map<int64, string> by_long = 1; map<uint64, string> by_ulong = 2; map<int32, string> by_int = 3;
         map<bool, string> by_bool = 4; uint64 u = 5; sint64 s = 6; fixed64 f = 7; sfixed32 sf = 8;
         optional int32 maybe = 9; bytes b = 10; double d = 11;
       }`,
        { keepCase: true },
      )
      .root.lookupType('t.Edge');
    const codec = protoCodec(edge);
    it('64-bit and int map keys, unsigned and zigzag ints round-trip', () => {
      const json = {
        byLong: { '-9223372036854775808': 'min', '5': 'five' },
        byUlong: { '18446744073709551615': 'max' },
        byInt: { '-1': 'minus one' },
        byBool: { true: 'yes' },
        u: '18446744073709551615',
        s: '-3',
        f: '1',
        sf: -7,
        d: -0.5,
      };
      expect(codec.deserialize(codec.serialize(json))).to.deep.equal(json);
    });
    it('proto3 optional keeps an explicit zero (presence); plain fields drop defaults', () => {
      expect(codec.deserialize(codec.serialize({ maybe: 0, u: '0', b: '', d: 0 }))).to.deep.equal({ maybe: 0 });
    });
    it('invalid UTF-8 in a string map key or value is refused naming the field', () => {
      const labelled = protobuf
        .parse('syntax = "proto3"; package u; message M { map<string, string> labels = 1; }', { keepCase: true })
        .root.lookupType('u.M');
      const encode = (key: string, value: string) => {
        const buf = Buffer.from(labelled.encode(labelled.fromObject({ labels: { [key]: value } })).finish());
        buf.set([0xc3, 0x28], buf.indexOf('XY'));
        return buf;
      };
      expect(() => protoCodec(labelled).deserialize(encode('XY', 'v'))).to.throw(ApiError, 'labels: a map key is not valid UTF-8');
      expect(() => protoCodec(labelled).deserialize(encode('k', 'XY'))).to.throw(ApiError, 'labels["k"]: is not valid UTF-8');
    });
    it('a bool map key false cannot be encoded by protobufjs: refused loudly', () => {
      expect(() => codec.serialize({ byBool: { false: 'no' } })).to.throw(Error, 'map key false');
    });
  });

  describe('property: schema-shaped input (mostly valid, sometimes corrupted)', () => {
    for (const name of ['grafeas.v1.Note', 'grafeas.v1.Occurrence', 'grafeas.v1.BatchCreateNotesRequest']) {
      it(`${name}: only INVALID_ARGUMENT; accepted input is idempotent and survives binary round trips`, () => {
        const t = type(name);
        const codec = protoCodec(t);
        let accepted = 0;
        fc.assert(
          fc.property(arbMessage(t, 0), (input) => {
            let json: Record<string, unknown>;
            try {
              json = readProtoJson(t, input);
            } catch (e) {
              if (e instanceof ApiError && e.code === 'INVALID_ARGUMENT') return;
              throw e;
            }
            accepted++;
            expect(readProtoJson(t, json)).to.deep.equal(json);
            const once = codec.deserialize(codec.serialize(json));
            expect(readProtoJson(t, once)).to.deep.equal(once);
            expect(codec.deserialize(codec.serialize(once))).to.deep.equal(once);
          }),
          { numRuns: 400 },
        );
        expect(accepted, 'the generator must mostly produce valid input').to.be.greaterThan(100);
      });
    }
  });
});

/** Arbitrary proto3 JSON for a message type: a few fields each, valid values, ~1 in 40 values corrupted. */
function arbMessage(t: protobuf.Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const plan = typePlan(t);
  if (depth > 5 || plan.fields.length === 0) return fc.constant({});
  return fc
    .shuffledSubarray([...plan.fields], { maxLength: Math.min(plan.fields.length, depth === 0 ? 5 : 3) })
    .chain((fields) =>
      fc.record(Object.fromEntries(fields.map((f) => [depth % 2 ? f.protoName : f.jsonName, corruptible(arbField(f, depth))]))),
    );
}

function corruptible(arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 39, arbitrary: arb }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
}

function arbField(f: FieldPlan, depth: number): fc.Arbitrary<unknown> {
  const single = arbSingle(f, depth);
  if (f.map) return fc.dictionary(f.keyType === 'string' ? fc.string({ maxLength: 6 }) : fc.integer().map(String), single, { maxKeys: 2 });
  if (f.repeated) return fc.array(single, { maxLength: 2 });
  return single;
}

function arbSingle(f: FieldPlan, depth: number): fc.Arbitrary<unknown> {
  if (f.scalar) return arbScalar(f.scalar);
  if (f.enumType) {
    const values = f.enumType.values;
    return fc.constantFrom(...Object.keys(values), ...Object.values(values));
  }
  const plan = typePlan(f.messageType!);
  switch (plan.wellKnown) {
    case 'Timestamp':
      return fc
        .tuple(
          fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
          fc.integer({ min: 0, max: 999_999_999 }),
        )
        .map(([d, n]) => `${d.toISOString().slice(0, 19)}.${String(n).padStart(9, '0')}+02:00`);
    case 'Duration':
      return fc
        .tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 999 }))
        .map(([s, ms]) => `${s}.${String(ms).padStart(3, '0')}s`);
    case 'FieldMask':
      return fc.constantFrom('', 'short_description', 'a.b_c,d');
    case 'Struct':
      return fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
    case 'ListValue':
      return fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 });
    case 'Value':
      return fc.jsonValue({ maxDepth: 2 });
    case 'Wrapper':
      return arbScalar(plan.type.fieldsById[1]!.type);
    case 'Any':
      return fc.oneof(
        fc.constant({}),
        arbMessage(type('grafeas.v1.AttestationNote'), depth + 1).map((m) => ({ '@type': `${ANY}grafeas.v1.AttestationNote`, ...m })),
        arbScalar('int64').map((v) => ({ '@type': `${ANY}google.protobuf.Int64Value`, value: v })),
      );
    case undefined:
      return arbMessage(plan.type, depth + 1);
  }
}

function arbScalar(scalar: string): fc.Arbitrary<unknown> {
  switch (scalar) {
    case 'string':
      return fc.string({ maxLength: 8 });
    case 'bool':
      return fc.boolean();
    case 'bytes':
      return fc
        .tuple(fc.uint8Array({ maxLength: 12 }), fc.constantFrom<BufferEncoding>('base64', 'base64url'))
        .map(([b, enc]) => Buffer.from(b).toString(enc));
    case 'float':
      return fc.float().map((v) => (Number.isFinite(v) ? v : String(v)));
    case 'double':
      return fc.double().map((v) => (Number.isFinite(v) ? v : String(v)));
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.maxSafeInteger());
    case 'uint64':
    case 'fixed64':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
    case 'uint32':
    case 'fixed32':
      return fc.integer({ min: 0, max: 0xffffffff });
    default:
      return fc.oneof(fc.integer(), fc.integer().map(String));
  }
}
