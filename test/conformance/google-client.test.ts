import * as grpc from '@grpc/grpc-js';
import { v1, type protos } from '@google-cloud/grafeas';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server';

// Conformance with Google's own Node client (@google-cloud/grafeas v1 GrafeasClient), unmodified,
// over gRPC and over its REST fallback: the same suite runs once per transport.

type INote = protos.grafeas.v1.INote;
type IOccurrence = protos.grafeas.v1.IOccurrence;
type GrafeasClient = InstanceType<typeof v1.GrafeasClient>;

/** gRPC status numbers, as err.code carries them on both transports. */
const Code = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DIGEST = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const IMAGE = (n: number): string => `https://registry.example.com/ns/app@${DIGEST(n)}`;

interface Transport {
  readonly name: 'grpc' | 'rest';
  client(server: TestServer): GrafeasClient;
  /** Call options that carry the bearer token (the REST stub adds it itself). */
  readonly callOptions: (server: TestServer) => object;
}

const transports: Transport[] = [
  {
    name: 'grpc',
    client: (server) =>
      new v1.GrafeasClient({
        servicePath: '127.0.0.1',
        port: server.grpcPort,
        sslCreds: grpc.credentials.createInsecure(),
        universeDomain: 'googleapis.com',
      }),
    callOptions: (server) => ({ otherArgs: { headers: { authorization: `Bearer ${server.adminToken}` } } }),
  },
  {
    name: 'rest',
    client: (server) => {
      const authorization = `Bearer ${server.adminToken}`;
      // google-gax 5 sends every REST call through auth.fetch(url, init).
      const auth = {
        getRequestHeaders: () => Promise.resolve(new Headers({ Authorization: authorization })),
        fetch: (url: string | URL, init: RequestInit = {}) => {
          const headers = new Headers(init.headers);
          headers.set('authorization', authorization);
          return fetch(url, { ...init, headers });
        },
      };
      return new v1.GrafeasClient({
        apiEndpoint: '127.0.0.1',
        port: server.httpPort,
        protocol: 'http',
        fallback: 'rest',
        // The stub is the auth client gax uses; it has no other Google credentials to find.
        auth: auth as never,
      } as never);
    },
    callOptions: () => ({}),
  },
];

/** Runs `call` and returns the error it fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error & { code?: number; details?: string }> {
  try {
    await call;
  } catch (err) {
    return err as Error & { code?: number };
  }
  throw new Error('expected the call to fail, it succeeded');
}

async function createProject(server: TestServer, projectId: string): Promise<void> {
  const res = await fetch(`${server.baseUrl}/v1/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ name: `projects/${projectId}` }),
  });
  if (res.status !== 200) throw new Error(`creating project ${projectId}: ${res.status} ${await res.text()}`);
}

function attestationNote(humanReadableName: string): INote {
  return { shortDescription: `note ${humanReadableName}`, longDescription: 'a witness', attestation: { hint: { humanReadableName } } };
}

/** Payload and signature bytes covering every byte value, so any lossy encoding shows. */
function attestationBytes(seed: number): { payload: Buffer; signature: Buffer } {
  const payload = Buffer.alloc(300);
  for (let i = 0; i < payload.length; i++) payload[i] = (i + seed) % 256;
  const signature = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - ((i * 7 + seed) % 256)));
  return { payload, signature };
}

function attestationOccurrence(noteName: string, resourceUri: string, seed = 1): IOccurrence {
  const { payload, signature } = attestationBytes(seed);
  return {
    noteName,
    resourceUri,
    attestation: {
      serializedPayload: payload,
      signatures: [{ signature, publicKeyId: `//cloudkms.googleapis.com/v1/keys/k${seed}` }],
      jwts: [{ compactJwt: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }],
    },
  };
}

function bytes(v: Uint8Array | string | null | undefined): Buffer {
  if (v === null || v === undefined) return Buffer.alloc(0);
  return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v);
}

function expectAttestationRoundTrip(got: IOccurrence | undefined | null, seed: number): void {
  const { payload, signature } = attestationBytes(seed);
  expect(got?.kind).to.equal('ATTESTATION');
  expect(bytes(got?.attestation?.serializedPayload).equals(payload), 'serializedPayload round-trips byte-exactly').to.equal(true);
  expect(got?.attestation?.signatures).to.have.length(1);
  expect(bytes(got?.attestation?.signatures?.[0]?.signature).equals(signature), 'signature round-trips byte-exactly').to.equal(true);
  expect(got?.attestation?.signatures?.[0]?.publicKeyId).to.equal(`//cloudkms.googleapis.com/v1/keys/k${seed}`);
  expect(got?.attestation?.jwts?.[0]?.compactJwt).to.equal('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
}

/** Every page of a list call with autoPaginate off, following nextPageToken by hand. */
type PageRequest = { pageToken?: string | null } & Record<string, unknown>;
async function allPages<T>(
  call: (req: PageRequest, opts: object) => Promise<[T[], PageRequest | null, unknown]>,
  first: PageRequest,
  opts: object,
): Promise<T[][]> {
  const pages: T[][] = [];
  let req: PageRequest | null = first;
  while (req) {
    const [items, next] = await call(req, { ...opts, autoPaginate: false });
    pages.push(items);
    req = next;
    if (pages.length > 100) throw new Error('paging does not end');
  }
  return pages;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const seconds = (t: protos.google.protobuf.ITimestamp | null | undefined): number => Number(t?.seconds ?? 0) + Number(t?.nanos ?? 0) / 1e9;

describe("Google's Grafeas client (@google-cloud/grafeas v1)", function () {
  this.timeout(60000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  for (const transport of transports) {
    describe(`over ${transport.name}`, () => {
      const project = `gc-${transport.name}`;
      const provider = `gc-${transport.name}-provider`;
      const parent = `projects/${project}`;
      const providerParent = `projects/${provider}`;
      let client: GrafeasClient;
      let opts: object;
      let witnessNote: string;
      let occurrenceName: string;

      before(async () => {
        await createProject(server, project);
        await createProject(server, provider);
        client = transport.client(server);
        opts = transport.callOptions(server);
      });
      after(async () => client?.close());

      describe('notes', () => {
        it('createNote: server sets kind and times; getNote returns the same note', async () => {
          const [created] = await client.createNote({ parent: providerParent, noteId: 'witness', note: attestationNote('Witness') }, opts);
          witnessNote = `${providerParent}/notes/witness`;
          expect(created.name).to.equal(witnessNote);
          expect(created.kind).to.equal('ATTESTATION');
          expect(created.shortDescription).to.equal('note Witness');
          expect(created.attestation?.hint?.humanReadableName).to.equal('Witness');
          expect(seconds(created.createTime)).to.be.greaterThan(1.7e9);
          expect(seconds(created.updateTime)).to.equal(seconds(created.createTime));

          const [got] = await client.getNote({ name: witnessNote }, opts);
          expect(got.name).to.equal(witnessNote);
          expect(got.kind).to.equal('ATTESTATION');
          expect(got.longDescription).to.equal('a witness');
          expect(got.attestation?.hint?.humanReadableName).to.equal('Witness');
          expect(seconds(got.createTime)).to.equal(seconds(created.createTime));
        });

        it('createNote: a duplicate id is ALREADY_EXISTS', async () => {
          const err = await failure(client.createNote({ parent: providerParent, noteId: 'witness', note: attestationNote('again') }, opts));
          expect(err.code).to.equal(Code.ALREADY_EXISTS);
        });

        it('createNote: a missing project is NOT_FOUND naming it', async () => {
          const err = await failure(
            client.createNote({ parent: 'projects/no-such-project', noteId: 'n', note: attestationNote('n') }, opts),
          );
          expect(err.code).to.equal(Code.NOT_FOUND);
          expect(err.message).to.contain('no-such-project');
        });

        it('createNote: a bad note id is INVALID_ARGUMENT', async () => {
          const err = await failure(client.createNote({ parent: providerParent, noteId: 'bad id!', note: attestationNote('n') }, opts));
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('getNote: a missing note is NOT_FOUND; a malformed name is INVALID_ARGUMENT', async () => {
          expect((await failure(client.getNote({ name: `${providerParent}/notes/nope` }, opts))).code).to.equal(Code.NOT_FOUND);
          expect((await failure(client.getNote({ name: `projects/${project}/notes/bad:id` }, opts))).code).to.equal(Code.INVALID_ARGUMENT);
          expect((await failure(client.getNote({ name: 'projects/-bad-/notes/x' }, opts))).code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('updateNote: only the paths in updateMask change', async () => {
          const [before] = await client.getNote({ name: witnessNote }, opts);
          const [updated] = await client.updateNote(
            {
              name: witnessNote,
              note: {
                shortDescription: 'renamed',
                longDescription: 'must not change',
                relatedUrl: [{ url: 'https://x.example', label: 'x' }],
              },
              updateMask: { paths: ['short_description', 'relatedUrl'] },
            },
            opts,
          );
          expect(updated.shortDescription).to.equal('renamed');
          expect(updated.longDescription).to.equal('a witness');
          expect(updated.relatedUrl).to.have.length(1);
          expect(updated.relatedUrl?.[0]?.url).to.equal('https://x.example');
          expect(updated.kind).to.equal('ATTESTATION');
          expect(updated.attestation?.hint?.humanReadableName).to.equal('Witness');
          expect(seconds(updated.createTime)).to.equal(seconds(before.createTime));
          expect(seconds(updated.updateTime)).to.be.at.least(seconds(before.updateTime));

          const [got] = await client.getNote({ name: witnessNote }, opts);
          expect(got.shortDescription).to.equal('renamed');
          expect(got.longDescription).to.equal('a witness');
        });

        it('updateNote: an immutable or unknown mask path is INVALID_ARGUMENT and changes nothing', async () => {
          for (const path of ['create_time', 'name', 'no_such_field']) {
            const err = await failure(
              client.updateNote({ name: witnessNote, note: { shortDescription: 'x' }, updateMask: { paths: [path] } }, opts),
            );
            expect(err.code, path).to.equal(Code.INVALID_ARGUMENT);
          }
          const [got] = await client.getNote({ name: witnessNote }, opts);
          expect(got.shortDescription).to.equal('renamed');
        });

        it('updateNote: a missing note is NOT_FOUND', async () => {
          const err = await failure(
            client.updateNote(
              { name: `${providerParent}/notes/nope`, note: { shortDescription: 'x' }, updateMask: { paths: ['short_description'] } },
              opts,
            ),
          );
          expect(err.code).to.equal(Code.NOT_FOUND);
        });

        it('batchCreateNotes: creates every note of the map', async () => {
          const notes: Record<string, INote> = {};
          for (let i = 0; i < 7; i++) notes[`batch-${i}`] = attestationNote(`Batch ${i}`);
          const [res] = await client.batchCreateNotes({ parent, notes }, opts);
          expect(res.notes).to.have.length(7);
          expect(res.notes!.map((n) => n.name).sort()).to.deep.equal(
            Object.keys(notes)
              .map((id) => `${parent}/notes/${id}`)
              .sort(),
          );
          for (const n of res.notes!) expect(n.kind).to.equal('ATTESTATION');
        });

        it('batchCreateNotes: one bad item is INVALID_ARGUMENT and nothing is created', async () => {
          const err = await failure(
            client.batchCreateNotes(
              { parent, notes: { 'good-1': attestationNote('g1'), 'bad id': attestationNote('b'), 'good-2': attestationNote('g2') } },
              opts,
            ),
          );
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
          expect(err.message).to.contain('bad id');
          for (const id of ['good-1', 'good-2']) {
            expect((await failure(client.getNote({ name: `${parent}/notes/${id}` }, opts))).code, id).to.equal(Code.NOT_FOUND);
          }
        });

        it('batchCreateNotes: an id that exists fails the whole batch with ALREADY_EXISTS', async () => {
          const err = await failure(
            client.batchCreateNotes({ parent, notes: { 'fresh-1': attestationNote('f'), 'batch-0': attestationNote('dup') } }, opts),
          );
          expect(err.code).to.equal(Code.ALREADY_EXISTS);
          expect((await failure(client.getNote({ name: `${parent}/notes/fresh-1` }, opts))).code).to.equal(Code.NOT_FOUND);
        });

        it('listNotes: pages through several pages, with the manual pager and the async iterator', async () => {
          const pages = await allPages(client.listNotes.bind(client) as never, { parent, pageSize: 2 }, opts);
          expect(pages.map((p) => (p as INote[]).length)).to.deep.equal([2, 2, 2, 1]);
          const names = (pages.flat() as INote[]).map((n) => n.name);
          expect(new Set(names).size).to.equal(7);
          const iterated = await collect(client.listNotesAsync({ parent, pageSize: 3 }, opts));
          expect(iterated.map((n) => n.name)).to.deep.equal(names);
          const [all] = await client.listNotes({ parent }, opts);
          expect(all.map((n) => n.name)).to.deep.equal(names);
        });

        it('listNotes: filters by kind and name', async () => {
          const [attestations] = await client.listNotes({ parent, filter: 'kind="ATTESTATION"' }, opts);
          expect(attestations).to.have.length(7);
          const [builds] = await client.listNotes({ parent, filter: 'kind="BUILD"' }, opts);
          expect(builds).to.have.length(0);
          const [one] = await client.listNotes({ parent, filter: `name="${parent}/notes/batch-3"` }, opts);
          expect(one.map((n) => n.name)).to.deep.equal([`${parent}/notes/batch-3`]);
        });

        it('listNotes: a bad filter, a negative pageSize and a bad pageToken are INVALID_ARGUMENT', async () => {
          const bad = await failure(client.listNotes({ parent, filter: 'kind = = ATTESTATION' }, { ...opts, autoPaginate: false }));
          expect(bad.code).to.equal(Code.INVALID_ARGUMENT);
          const unknown = await failure(client.listNotes({ parent, filter: 'colour="red"' }, { ...opts, autoPaginate: false }));
          expect(unknown.code).to.equal(Code.INVALID_ARGUMENT);
          const negative = await failure(client.listNotes({ parent, pageSize: -1 }, { ...opts, autoPaginate: false }));
          expect(negative.code).to.equal(Code.INVALID_ARGUMENT);
          const token = await failure(client.listNotes({ parent, pageToken: 'not-a-token' }, { ...opts, autoPaginate: false }));
          expect(token.code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('listNotes: a malformed parent is INVALID_ARGUMENT', async () => {
          const err = await failure(client.listNotes({ parent: 'projects/bad project' }, { ...opts, autoPaginate: false }));
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
        });
      });

      describe('occurrences', () => {
        it('createOccurrence: server-generated UUIDv7 id, kind from the note, bytes round-trip; getOccurrence agrees', async () => {
          const [created] = await client.createOccurrence({ parent, occurrence: attestationOccurrence(witnessNote, IMAGE(1), 1) }, opts);
          expect(created.name).to.match(new RegExp(`^${parent}/occurrences/`));
          expect(created.name!.split('/').pop()).to.match(UUID_V7);
          expect(created.noteName).to.equal(witnessNote);
          expect(created.resourceUri).to.equal(IMAGE(1));
          expectAttestationRoundTrip(created, 1);
          expect(seconds(created.createTime)).to.be.greaterThan(1.7e9);
          occurrenceName = created.name!;

          const [got] = await client.getOccurrence({ name: occurrenceName }, opts);
          expect(got.name).to.equal(occurrenceName);
          expect(got.noteName).to.equal(witnessNote);
          expectAttestationRoundTrip(got, 1);
        });

        it('createOccurrence: a client-chosen name is ignored; a kind that contradicts the details is INVALID_ARGUMENT', async () => {
          const occ = {
            ...attestationOccurrence(witnessNote, IMAGE(2), 2),
            name: `${parent}/occurrences/mine`,
            kind: 'ATTESTATION' as const,
          };
          const [created] = await client.createOccurrence({ parent, occurrence: occ }, opts);
          expect(created.name!.split('/').pop()).to.match(UUID_V7);
          expect(created.kind).to.equal('ATTESTATION');
          await client.deleteOccurrence({ name: created.name! }, opts);
          const err = await failure(client.createOccurrence({ parent, occurrence: { ...occ, kind: 'BUILD' } }, opts));
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('createOccurrence: a missing note is NOT_FOUND naming it', async () => {
          const missing = `${providerParent}/notes/not-there`;
          const err = await failure(client.createOccurrence({ parent, occurrence: attestationOccurrence(missing, IMAGE(1)) }, opts));
          expect(err.code).to.equal(Code.NOT_FOUND);
          expect(err.message).to.contain(missing);
        });

        it('createOccurrence: a missing project is NOT_FOUND', async () => {
          const err = await failure(
            client.createOccurrence({ parent: 'projects/no-such-project', occurrence: attestationOccurrence(witnessNote, IMAGE(1)) }, opts),
          );
          expect(err.code).to.equal(Code.NOT_FOUND);
          expect(err.message).to.contain('no-such-project');
        });

        it('createOccurrence: details of another kind than the note is INVALID_ARGUMENT', async () => {
          const occ: IOccurrence = { noteName: witnessNote, resourceUri: IMAGE(1), build: { provenance: { id: 'b1' } } };
          const err = await failure(client.createOccurrence({ parent, occurrence: occ }, opts));
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('createOccurrence: a malformed note name is INVALID_ARGUMENT', async () => {
          const err = await failure(
            client.createOccurrence({ parent, occurrence: attestationOccurrence('notes/witness', IMAGE(1)) }, opts),
          );
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('getOccurrence: a missing occurrence is NOT_FOUND; a malformed id is INVALID_ARGUMENT', async () => {
          const missing = `${parent}/occurrences/01890a5d-ac96-774b-bcce-b302099a8057`;
          expect((await failure(client.getOccurrence({ name: missing }, opts))).code).to.equal(Code.NOT_FOUND);
          expect((await failure(client.getOccurrence({ name: `${parent}/occurrences/not-a-uuid` }, opts))).code).to.equal(
            Code.INVALID_ARGUMENT,
          );
          // Occurrences are keyed by project too: the right id under another project is NOT_FOUND.
          const wrongProject = occurrenceName.replace(parent, providerParent);
          expect((await failure(client.getOccurrence({ name: wrongProject }, opts))).code).to.equal(Code.NOT_FOUND);
        });

        it('getOccurrenceNote: returns the note, which lives in the provider project', async () => {
          const [note] = await client.getOccurrenceNote({ name: occurrenceName }, opts);
          expect(note.name).to.equal(witnessNote);
          expect(note.kind).to.equal('ATTESTATION');
          expect(note.shortDescription).to.equal('renamed');
          const missing = `${parent}/occurrences/01890a5d-ac96-774b-bcce-b302099a8057`;
          expect((await failure(client.getOccurrenceNote({ name: missing }, opts))).code).to.equal(Code.NOT_FOUND);
        });

        it('batchCreateOccurrences: creates all items, each with its own bytes', async () => {
          const occurrences = [2, 3, 4, 5, 6].map((i) => attestationOccurrence(witnessNote, IMAGE(i % 2 === 0 ? 2 : 3), i));
          const [res] = await client.batchCreateOccurrences({ parent, occurrences }, opts);
          expect(res.occurrences).to.have.length(5);
          res.occurrences!.forEach((o, i) => {
            expect(o.name!.split('/').pop()).to.match(UUID_V7);
            expectAttestationRoundTrip(o, i + 2);
          });
          expect(new Set(res.occurrences!.map((o) => o.name)).size).to.equal(5);
          const [got] = await client.getOccurrence({ name: res.occurrences![4]!.name! }, opts);
          expectAttestationRoundTrip(got, 6);
        });

        it('batchCreateOccurrences: one bad item is INVALID_ARGUMENT and nothing is created', async () => {
          const [before] = await client.listOccurrences({ parent }, opts);
          const occurrences: IOccurrence[] = [
            attestationOccurrence(witnessNote, IMAGE(9), 9),
            { noteName: witnessNote, resourceUri: IMAGE(9), build: { provenance: { id: 'b1' } } },
            attestationOccurrence(witnessNote, IMAGE(9), 9),
          ];
          const err = await failure(client.batchCreateOccurrences({ parent, occurrences }, opts));
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
          const [after] = await client.listOccurrences({ parent }, opts);
          expect(after.length).to.equal(before.length);
          const [none] = await client.listOccurrences({ parent, filter: `resourceUri="${IMAGE(9)}"` }, opts);
          expect(none).to.have.length(0);
        });

        it('batchCreateOccurrences: a missing note fails the whole batch, naming the note', async () => {
          const gone = `${providerParent}/notes/gone`;
          const occurrences = [attestationOccurrence(witnessNote, IMAGE(10), 10), attestationOccurrence(gone, IMAGE(10), 10)];
          const err = await failure(client.batchCreateOccurrences({ parent, occurrences }, opts));
          // attestd folds every offending item of a multi-item batch into one INVALID_ARGUMENT naming each.
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
          expect(err.message).to.contain(gone);
          const [none] = await client.listOccurrences({ parent, filter: `resourceUri="${IMAGE(10)}"` }, opts);
          expect(none).to.have.length(0);
        });

        it('listOccurrences: filters by resourceUri (and resourceUrl), kind and noteName', async () => {
          const [all] = await client.listOccurrences({ parent }, opts);
          expect(all).to.have.length(6);
          const [img2] = await client.listOccurrences({ parent, filter: `resourceUri="${IMAGE(2)}"` }, opts);
          expect(img2).to.have.length(3);
          for (const o of img2) expect(o.resourceUri).to.equal(IMAGE(2));
          const [img3] = await client.listOccurrences({ parent, filter: `resourceUrl="${IMAGE(3)}"` }, opts);
          expect(img3).to.have.length(2);
          const [attestations] = await client.listOccurrences({ parent, filter: 'kind="ATTESTATION"' }, opts);
          expect(attestations).to.have.length(6);
          const [byNote] = await client.listOccurrences(
            { parent, filter: `noteName="${witnessNote}" AND resourceUri="${IMAGE(1)}"` },
            opts,
          );
          expect(byNote.map((o) => o.name)).to.deep.equal([occurrenceName]);
          expectAttestationRoundTrip(byNote[0], 1);
          const [otherNote] = await client.listOccurrences({ parent, filter: `noteName="${parent}/notes/batch-0"` }, opts);
          expect(otherNote).to.have.length(0);
        });

        it('listOccurrences: pages through several pages with pageSize 2', async () => {
          const pages = await allPages(client.listOccurrences.bind(client) as never, { parent, pageSize: 2 }, opts);
          expect(pages.map((p) => (p as IOccurrence[]).length)).to.deep.equal([2, 2, 2]);
          const names = (pages.flat() as IOccurrence[]).map((o) => o.name);
          expect(new Set(names).size).to.equal(6);
          const iterated = await collect(client.listOccurrencesAsync({ parent, pageSize: 4 }, opts));
          expect(iterated.map((o) => o.name)).to.deep.equal(names);
          const filtered = await allPages(
            client.listOccurrences.bind(client) as never,
            { parent, pageSize: 1, filter: `resourceUri="${IMAGE(2)}"` },
            opts,
          );
          expect(filtered.map((p) => (p as IOccurrence[]).length)).to.deep.equal([1, 1, 1]);
        });

        it('listOccurrences: a page token is bound to its query', async () => {
          const [, next] = await client.listOccurrences({ parent, pageSize: 2 }, { ...opts, autoPaginate: false });
          expect(next?.pageToken).to.be.a('string').and.not.equal('');
          const err = await failure(
            client.listOccurrences(
              { parent, pageSize: 2, filter: 'kind="ATTESTATION"', pageToken: next!.pageToken },
              { ...opts, autoPaginate: false },
            ),
          );
          expect(err.code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('listOccurrences: a bad filter, negative pageSize, bad token and malformed parent are INVALID_ARGUMENT', async () => {
          const o = { ...opts, autoPaginate: false };
          expect((await failure(client.listOccurrences({ parent, filter: 'resourceUri="unterminated' }, o))).code).to.equal(
            Code.INVALID_ARGUMENT,
          );
          expect((await failure(client.listOccurrences({ parent, pageSize: -5 }, o))).code).to.equal(Code.INVALID_ARGUMENT);
          expect((await failure(client.listOccurrences({ parent, pageToken: 'AAAA' }, o))).code).to.equal(Code.INVALID_ARGUMENT);
          expect((await failure(client.listOccurrences({ parent: 'projects/bad project' }, o))).code).to.equal(Code.INVALID_ARGUMENT);
        });

        it('listNoteOccurrences: pages through the occurrences of a note across projects', async () => {
          const pages = await allPages(client.listNoteOccurrences.bind(client) as never, { name: witnessNote, pageSize: 4 }, opts);
          expect(pages.map((p) => (p as IOccurrence[]).length)).to.deep.equal([4, 2]);
          const iterated = await collect(client.listNoteOccurrencesAsync({ name: witnessNote, pageSize: 1 }, opts));
          expect(iterated.map((o) => o.name)).to.deep.equal((pages.flat() as IOccurrence[]).map((o) => o.name));
          const [filtered] = await client.listNoteOccurrences({ name: witnessNote, filter: `resourceUri="${IMAGE(3)}"` }, opts);
          expect(filtered).to.have.length(2);
          expect(
            (await failure(client.listNoteOccurrences({ name: `${providerParent}/notes/nope` }, { ...opts, autoPaginate: false }))).code,
          ).to.equal(Code.NOT_FOUND);
        });

        it('updateOccurrence: only the paths in updateMask change; bytes stay intact', async () => {
          const [before] = await client.getOccurrence({ name: occurrenceName }, opts);
          const [updated] = await client.updateOccurrence(
            {
              name: occurrenceName,
              occurrence: { resourceUri: IMAGE(42), remediation: 'must not change' },
              updateMask: { paths: ['resource_uri'] },
            },
            opts,
          );
          expect(updated.name).to.equal(occurrenceName);
          expect(updated.resourceUri).to.equal(IMAGE(42));
          expect(updated.remediation ?? '').to.equal('');
          expect(updated.noteName).to.equal(witnessNote);
          expectAttestationRoundTrip(updated, 1);
          expect(seconds(updated.createTime)).to.equal(seconds(before.createTime));

          const [got] = await client.getOccurrence({ name: occurrenceName }, opts);
          expect(got.resourceUri).to.equal(IMAGE(42));
          expectAttestationRoundTrip(got, 1);
          const [found] = await client.listOccurrences({ parent, filter: `resourceUri="${IMAGE(42)}"` }, opts);
          expect(found.map((o) => o.name)).to.deep.equal([occurrenceName]);
        });

        it('updateOccurrence: replacing the attestation with new bytes through the mask', async () => {
          const fresh = attestationOccurrence(witnessNote, IMAGE(42), 77);
          const [updated] = await client.updateOccurrence(
            { name: occurrenceName, occurrence: { attestation: fresh.attestation }, updateMask: { paths: ['attestation'] } },
            opts,
          );
          expectAttestationRoundTrip(updated, 77);
          const [got] = await client.getOccurrence({ name: occurrenceName }, opts);
          expectAttestationRoundTrip(got, 77);
        });

        it('updateOccurrence: immutable or unknown mask paths are INVALID_ARGUMENT; a missing occurrence is NOT_FOUND', async () => {
          for (const path of ['note_name', 'kind', 'create_time', 'name', 'bogus']) {
            const err = await failure(
              client.updateOccurrence(
                { name: occurrenceName, occurrence: { noteName: `${parent}/notes/batch-0` }, updateMask: { paths: [path] } },
                opts,
              ),
            );
            expect(err.code, path).to.equal(Code.INVALID_ARGUMENT);
          }
          const missing = `${parent}/occurrences/01890a5d-ac96-774b-bcce-b302099a8057`;
          const err = await failure(
            client.updateOccurrence(
              { name: missing, occurrence: { resourceUri: IMAGE(1) }, updateMask: { paths: ['resource_uri'] } },
              opts,
            ),
          );
          expect(err.code).to.equal(Code.NOT_FOUND);
          const [got] = await client.getOccurrence({ name: occurrenceName }, opts);
          expect(got.noteName).to.equal(witnessNote);
        });

        it('deleteNote: a note that occurrences reference is FAILED_PRECONDITION', async () => {
          const err = await failure(client.deleteNote({ name: witnessNote }, opts));
          expect(err.code).to.equal(Code.FAILED_PRECONDITION);
          const [still] = await client.getNote({ name: witnessNote }, opts);
          expect(still.name).to.equal(witnessNote);
        });

        it('deleteOccurrence: deletes; a second delete and a get are NOT_FOUND', async () => {
          await client.deleteOccurrence({ name: occurrenceName }, opts);
          expect((await failure(client.getOccurrence({ name: occurrenceName }, opts))).code).to.equal(Code.NOT_FOUND);
          expect((await failure(client.deleteOccurrence({ name: occurrenceName }, opts))).code).to.equal(Code.NOT_FOUND);
        });

        it('deleteNote: once unreferenced the note deletes; then NOT_FOUND', async () => {
          for await (const o of client.listNoteOccurrencesAsync({ name: witnessNote, pageSize: 2 }, opts)) {
            await client.deleteOccurrence({ name: o.name! }, opts);
          }
          await client.deleteNote({ name: witnessNote }, opts);
          expect((await failure(client.getNote({ name: witnessNote }, opts))).code).to.equal(Code.NOT_FOUND);
          expect((await failure(client.deleteNote({ name: witnessNote }, opts))).code).to.equal(Code.NOT_FOUND);
          await client.deleteNote({ name: `${parent}/notes/batch-6` }, opts);
          const [left] = await client.listNotes({ parent }, opts);
          expect(left).to.have.length(6);
        });
      });
    });
  }
});
