import * as grpc from '@grpc/grpc-js';
import { v1, type protos } from '@google-cloud/grafeas';
import { expect } from 'chai';
import { fixtureBytes, fixtureJson, MANIFEST } from '../support/supply-chain-fixtures';
import { startTestServer, type TestServer } from '../support/test-server';

// Occurrences with envelopes (DSSE on an ATTESTATION occurrence, Tekton Chains' nested envelope on a BUILD
// occurrence), Google's BUILD provenance (inTotoSlsaProvenanceV1 + envelope) and DSSE attestations, written through
// attestd's REST API or through Google's own client, read back byte-exact through REST and through Google's client
// over gRPC; what Google's client wrote still verifies at :verifyImages.

type IOccurrence = protos.grafeas.v1.IOccurrence;
type GrafeasClient = InstanceType<typeof v1.GrafeasClient>;

const IMAGE = `${MANIFEST.image.repository}@${MANIFEST.image.digest}`;
/** Fixture occurrences (JSON, bytes base64) by the note each goes on, with that note's kind. */
const CASES: Array<{ file: string; note: string; noteBody: object }> = [
  { file: 'grafeas/occurrence-build-slsa-v1.json', note: 'build', noteBody: { build: { builderVersion: 'v1' } } },
  { file: 'grafeas/chains-occurrence-build.json', note: 'chains-build', noteBody: { build: { builderVersion: 'tekton' } } },
  {
    file: 'grafeas/chains-occurrence-attestation.json',
    note: 'chains-sig',
    noteBody: { attestation: { hint: { humanReadableName: 'chains' } } },
  },
  {
    file: 'grafeas/occurrence-dsse-attestation.json',
    note: 'dsse',
    noteBody: { dsseAttestation: { hint: { humanReadableName: 'dsse' } } },
  },
];

type Envelope = { payload?: unknown; payloadType?: string | null; signatures?: Array<{ sig?: unknown; keyid?: string | null }> | null };

const b64 = (v: unknown): Buffer =>
  v === null || v === undefined ? Buffer.alloc(0) : typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v as Uint8Array);

/** An envelope's exact bytes and strings, comparable whatever the encoding (base64 text or byte arrays). */
function envelopeBytes(e: Envelope | null | undefined): object | undefined {
  if (e === null || e === undefined) return undefined;
  return {
    payload: b64(e.payload).toString('hex'),
    payloadType: e.payloadType,
    signatures: (e.signatures ?? []).map((s) => ({ sig: b64(s.sig).toString('hex'), keyid: s.keyid ?? '' })),
  };
}

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- both wire shapes of one message

/** A google.protobuf.Value / Struct as protobufjs objects hold them, as plain JSON (JSON passes through). */
function plain(v: Loose | undefined): unknown {
  if (v === null || v === undefined || typeof v !== 'object') return v;
  if ('fields' in v) return Object.fromEntries(Object.entries(v.fields as Loose).map(([k, x]) => [k, plain(x as Loose)]));
  if ('kind' in v) return v.kind === 'structValue' ? plain(v.structValue as Loose) : v[v.kind as string];
  return v;
}

/** A Timestamp as RFC 3339 (JSON passes through). */
const time = (t: unknown): unknown =>
  typeof t === 'object' && t !== null ? new Date(Number((t as Loose).seconds) * 1000).toISOString().replace('.000Z', 'Z') : t;

/** The provenance's content, the same from proto3 JSON and from Google's client objects (defaults dropped). */
function provenanceView(p: Loose): object {
  const predicate = p.predicate as Loose;
  const def = predicate.buildDefinition as Loose;
  const run = predicate.runDetails as Loose;
  return {
    type: p._type ?? p.type,
    predicateType: p.predicateType,
    subject: (p.subject as Loose[]).map((x) => ({ name: x.name, digest: x.digest })),
    buildType: def.buildType,
    externalParameters: plain(def.externalParameters as Loose),
    dependencies: (def.resolvedDependencies as Loose[]).map((d) => ({ uri: d.uri, digest: d.digest })),
    builder: run.builder.id,
    metadata: {
      invocationId: run.metadata.invocationId,
      startedOn: time(run.metadata.startedOn),
      finishedOn: time(run.metadata.finishedOn),
    },
  };
}

/** A JSON value as a google.protobuf.Value object. */
function protoValue(v: unknown): Loose {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(protoValue) } };
  if (v === null) return { nullValue: 'NULL_VALUE' };
  return { structValue: protoStruct(v as Loose) };
}
const protoStruct = (o: Loose): Loose => ({ fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, protoValue(v)])) });
const timestamp = (t: string): Loose => ({ seconds: Math.floor(Date.parse(t) / 1000), nanos: 0 });

/** What must survive a round trip: every envelope's bytes, the simple-signing bytes and the provenance's fields. */
function signedParts(o: Record<string, unknown>): object {
  const att = o.attestation as { serializedPayload?: unknown; signatures?: Array<{ signature?: unknown }> } | undefined;
  const build = o.build as { inTotoSlsaProvenanceV1?: Record<string, unknown> } | undefined;
  const provenance = build?.inTotoSlsaProvenanceV1;
  return {
    kind: o.kind,
    resourceUri: o.resourceUri,
    envelope: envelopeBytes(o.envelope as Envelope),
    dsse: envelopeBytes((o.dsseAttestation as { envelope?: Envelope } | undefined)?.envelope),
    serializedPayload: att?.serializedPayload ? b64(att.serializedPayload).toString('hex') : undefined,
    signatures: att?.signatures?.map((s) => b64(s.signature).toString('hex')),
    provenance: provenance ? provenanceView(provenance) : undefined,
  };
}

/** A JSON fixture occurrence as Google's client takes it: bytes as Buffers, `_type` under its proto name. */
function forGoogle(o: Record<string, unknown>, noteName: string): IOccurrence {
  const envelope = (e: Envelope | undefined) =>
    e && {
      payload: b64(e.payload),
      payloadType: e.payloadType,
      signatures: (e.signatures ?? []).map((s) => ({ sig: b64(s.sig), keyid: s.keyid ?? '' })),
    };
  const out: Record<string, unknown> = { ...o, noteName };
  if (o.envelope) out.envelope = envelope(o.envelope);
  const dsse = o.dsseAttestation as { envelope?: Envelope } | undefined;
  if (dsse) out.dsseAttestation = { ...dsse, envelope: envelope(dsse.envelope) };
  const att = o.attestation as { serializedPayload?: string; signatures?: Array<{ signature?: string; publicKeyId?: string }> };
  if (att) {
    out.attestation = {
      ...att,
      serializedPayload: b64(att.serializedPayload),
      signatures: (att.signatures ?? []).map((s) => ({ ...s, signature: b64(s.signature) })),
    };
  }
  const build = o.build as { inTotoSlsaProvenanceV1?: Record<string, unknown> } | undefined;
  if (build?.inTotoSlsaProvenanceV1) {
    const { _type, predicate, ...rest } = build.inTotoSlsaProvenanceV1 as Loose;
    const def = predicate.buildDefinition as Loose;
    const run = predicate.runDetails as Loose;
    const converted = {
      buildDefinition: {
        ...def,
        externalParameters: protoStruct(def.externalParameters as Loose),
        internalParameters: protoStruct(def.internalParameters as Loose),
      },
      runDetails: {
        ...run,
        metadata: { ...run.metadata, startedOn: timestamp(run.metadata.startedOn), finishedOn: timestamp(run.metadata.finishedOn) },
      },
    };
    out.build = { ...build, inTotoSlsaProvenanceV1: { type: _type, ...rest, predicate: converted } };
  }
  return out;
}

describe("provenance and envelopes round-trip byte-exact (REST and Google's client over gRPC)", function () {
  this.timeout(180000);
  let server: TestServer;
  let google: GrafeasClient;
  const auth = () => ({ otherArgs: { headers: { authorization: `Bearer ${server.adminToken}` } } });
  const rest = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  before(async () => {
    server = await startTestServer();
    google = new v1.GrafeasClient({
      servicePath: '127.0.0.1',
      port: server.grpcPort,
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    });
    for (const p of ['rt-rest', 'rt-google']) {
      await rest('POST', '/v1/projects', { name: `projects/${p}` });
      for (const c of CASES) await rest('POST', `/v1/projects/${p}/notes?noteId=${c.note}`, c.noteBody);
    }
  });
  after(async () => {
    await google?.close();
    await server?.stop();
  });

  for (const c of CASES) {
    it(`${c.file}: written over REST, read back through REST and Google's gRPC client`, async () => {
      const fixture = fixtureJson(c.file) as Record<string, unknown>;
      const want = signedParts({ ...fixture, kind: fixture.kind });
      const created = await rest('POST', '/v1/projects/rt-rest/occurrences', { ...fixture, noteName: `projects/rt-rest/notes/${c.note}` });
      expect(signedParts(created)).to.deep.equal(want);
      expect(signedParts(await rest('GET', `/v1/${String(created.name)}`))).to.deep.equal(want);
      const [viaGoogle] = await google.getOccurrence({ name: String(created.name) }, auth());
      expect(signedParts(viaGoogle as Record<string, unknown>)).to.deep.equal(want);
    });

    it(`${c.file}: written by Google's gRPC client, read back through REST`, async () => {
      const fixture = fixtureJson(c.file) as Record<string, unknown>;
      const want = signedParts(fixture);
      const [created] = await google.createOccurrence(
        { parent: 'projects/rt-google', occurrence: forGoogle(fixture, `projects/rt-google/notes/${c.note}`) },
        auth(),
      );
      expect(signedParts(created as Record<string, unknown>)).to.deep.equal(want);
      expect(signedParts(await rest('GET', `/v1/${String(created.name)}`))).to.deep.equal(want);
    });
  }

  it("verifies at :verifyImages what Google's client wrote, in every form", async () => {
    await rest('POST', '/v1/projects/rt-google/clusters?clusterId=c1', {});
    const publicKeys = [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }];
    for (const c of CASES) {
      await rest('POST', `/v1/projects/rt-google/witnesses?witnessId=w-${c.note}`, {
        publicKeys,
        notes: [`projects/rt-google/notes/${c.note}`],
        acceptRawEnvelope: true,
      });
      await rest('POST', `/v1/projects/rt-google/policies?policyId=p-${c.note}`, {
        cluster: 'c1',
        namespaces: [c.note],
        enabled: true,
        witnesses: [`projects/rt-google/witnesses/w-${c.note}`],
      });
      const out = await rest('POST', '/v1/projects/rt-google:verifyImages', { cluster: 'c1', namespace: c.note, images: [IMAGE] });
      const [r] = out.results as Array<{ allowed: boolean; reason: string; message: string }>;
      expect([c.note, r!.allowed, r!.reason], r!.message).to.deep.equal([c.note, true, 'ATTESTED']);
    }
  });
});
