import { expect } from 'chai';
import type { JsonObject } from '../../src/domain/message-types';
import type { VerifyInput } from '../../src/verification/verdict';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { apiError } from '../support/outcome';
import { fixtureBytes, fixtureJson, MANIFEST } from '../support/supply-chain-fixtures';

const IMAGE = `${MANIFEST.image.repository}@${MANIFEST.image.digest}`;
const PEM = fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8');
const OTHER_PEM = fixtureBytes('keys/ecdsa-p256-other.pub.pem').toString('utf8');
const publicKeys = [{ pem: PEM, algorithm: 'ECDSA_P256_SHA256' }];

/** The extra notes the fixtures' occurrences go on, with their kinds. */
const NOTES: Record<string, JsonObject> = {
  'build-42': { kind: 'BUILD', build: { builderVersion: 'v1' } },
  'tekton-default-taskrun-intoto': fixtureJson('grafeas/chains-note-build.json') as JsonObject,
  'tekton-default-simplesigning': fixtureJson('grafeas/chains-note-simplesigning.json') as JsonObject,
  'dsse-witness': fixtureJson('grafeas/note-dsse-attestation.json') as JsonObject,
};
/** Fixture occurrences and the note (of project p) each is stored on. */
const OCCURRENCES: Array<[file: string, note: string]> = [
  ['grafeas/occurrence-build-slsa-v1.json', 'build-42'],
  ['grafeas/chains-occurrence-build.json', 'tekton-default-taskrun-intoto'],
  ['grafeas/chains-occurrence-attestation.json', 'tekton-default-simplesigning'],
  ['grafeas/occurrence-dsse-attestation.json', 'dsse-witness'],
];

const input = (namespace: string): VerifyInput => ({
  cluster: 'c1',
  namespace,
  images: [IMAGE],
  breakglass: false,
  source: 'verifyImages',
});

/** Witnesses that vouch for further notes (Google's and Tekton Chains' shapes) and raw-payload envelopes, on the memory backend. */
describe('witness notes and acceptRawEnvelope (memory backend)', () => {
  let s: MemoryServices;
  const witness = (id: string, body: JsonObject) => s.witnesses.create(s.admin, 'projects/p', id, { publicKeys, ...body });
  const verify = async (namespace: string) => (await s.verification.verify(s.admin, 'projects/p', input(namespace))).results[0]!;

  before(async () => {
    s = memoryServices();
    await s.projects.create(s.admin, 'projects/p');
    for (const [id, note] of Object.entries(NOTES)) {
      const { name: _name, ...body } = note;
      await s.notes.create(s.admin, 'projects/p', id, body);
    }
    for (const [file, note] of OCCURRENCES) {
      const o = fixtureJson(file) as JsonObject;
      await s.occurrences.create(s.admin, 'projects/p', { ...o, noteName: `projects/p/notes/${note}` });
    }
    const namespaces: Array<[ns: string, body: JsonObject]> = [
      ['google-build', { notes: ['projects/p/notes/build-42'] }],
      ['chains-build', { notes: ['projects/p/notes/tekton-default-taskrun-intoto'] }],
      ['dsse', { notes: ['projects/p/notes/dsse-witness'] }],
      ['raw', { notes: ['projects/p/notes/tekton-default-simplesigning'], acceptRawEnvelope: true }],
      ['no-raw', { notes: ['projects/p/notes/tekton-default-simplesigning'] }],
      ['own-note-only', {}],
      ['other-key', { notes: ['projects/p/notes/build-42'], publicKeys: [{ pem: OTHER_PEM, algorithm: 'ECDSA_P256_SHA256' }] }],
    ];
    await s.clusters.create(s.admin, 'projects/p', 'c1', {});
    for (const [ns, body] of namespaces) {
      await witness(`w-${ns}`, body);
      await s.policies.create(s.admin, 'projects/p', ns, {
        cluster: 'c1',
        namespaces: [ns],
        enabled: true,
        witnesses: [`projects/p/witnesses/w-${ns}`],
      });
    }
  });

  it('shows notes and acceptRawEnvelope on the witness, without its own note, and changes them with a PATCH', async () => {
    const created = await witness('shown', { notes: ['projects/p/notes/shown', 'projects/p/notes/build-42', 'projects/p/notes/build-42'] });
    expect(created.notes).to.deep.equal(['projects/p/notes/build-42']);
    expect(created.acceptRawEnvelope).to.equal(false);
    expect(created.note).to.equal('projects/p/notes/shown');
    const patched = await s.witnesses.update(s.admin, 'projects/p/witnesses/shown', { acceptRawEnvelope: true, notes: [] }, [
      'acceptRawEnvelope',
      'notes',
    ]);
    expect({ notes: patched.notes, acceptRawEnvelope: patched.acceptRawEnvelope }).to.deep.equal({ notes: [], acceptRawEnvelope: true });
    expect(patched.etag).to.not.equal(created.etag);
    expect(patched.publicKeys).to.deep.equal(created.publicKeys);
    const stale = await apiError(
      s.witnesses.update(s.admin, 'projects/p/witnesses/shown', { notes: ['projects/p/notes/dsse-witness'], etag: created.etag }, [
        'notes',
      ]),
    );
    expect(stale.code).to.equal('ABORTED');
  });

  const refusals: Array<[desc: string, body: JsonObject, message: string]> = [
    [
      'a note of another project',
      { notes: ['projects/q/notes/build'] },
      'witness.notes[0] projects/q/notes/build is in another project; a witness vouches for notes of its own project (p)',
    ],
    [
      'a name that is not a note',
      { notes: ['projects/p/witnesses/w'] },
      'witness.notes[0] must look like "projects/{project}/notes/{note}"',
    ],
    ['a note that is not a string', { notes: [7] }, 'witness.notes[0] must be a string'],
    ['notes that are not a list', { notes: 'projects/p/notes/x' }, 'witness.notes must be a list of strings'],
    ['acceptRawEnvelope that is not a bool', { acceptRawEnvelope: 'yes' }, 'witness.acceptRawEnvelope must be true or false'],
  ];
  for (const [desc, body, message] of refusals) {
    it(`refuses ${desc}`, async () => {
      const r = await apiError(witness('refused', body));
      expect(r.code).to.equal('INVALID_ARGUMENT');
      expect(r.message).to.contain(message);
    });
  }

  const verdicts: Array<[desc: string, ns: string, allowed: boolean, reason: string, message?: RegExp]> = [
    ["a BUILD occurrence with Google's inTotoSlsaProvenanceV1 and its envelope", 'google-build', true, 'ATTESTED'],
    ['a Tekton Chains BUILD occurrence (nested envelope, resource URI without https://)', 'chains-build', true, 'ATTESTED'],
    ['a DSSE_ATTESTATION occurrence', 'dsse', true, 'ATTESTED'],
    ["Chains' raw-payload ATTESTATION envelope, for a witness with acceptRawEnvelope", 'raw', true, 'ATTESTED'],
    [
      "Chains' raw-payload ATTESTATION envelope, for a witness without it",
      'no-raw',
      false,
      'BAD_SIGNATURE',
      /signed over the raw payload, not over DSSE's PAE; only a witness created with "acceptRawEnvelope": true accepts that/,
    ],
    ['occurrences on notes the witness does not list', 'own-note-only', false, 'NOT_ATTESTED', /no attestation found/],
    ["a listed note's occurrence signed by another key", 'other-key', false, 'BAD_SIGNATURE', /no signature verifies/],
  ];
  for (const [desc, ns, allowed, reason, message] of verdicts) {
    it(`${allowed ? 'admits' : 'denies'} ${desc}`, async () => {
      const r = await verify(ns);
      expect({ allowed: r.allowed, reason: r.reason }, r.message).to.deep.equal({ allowed, reason });
      if (allowed) expect(r.witnesses).to.deep.equal([`projects/p/witnesses/w-${ns}`]);
      if (message) expect(r.message).to.match(message);
    });
  }

  it('applies a changed witness to the next verification: raw envelopes accepted once switched on', async () => {
    expect((await verify('no-raw')).allowed).to.equal(false);
    await s.witnesses.update(s.admin, 'projects/p/witnesses/w-no-raw', { acceptRawEnvelope: true }, ['acceptRawEnvelope']);
    expect((await verify('no-raw')).reason).to.equal('ATTESTED');
    await s.witnesses.update(s.admin, 'projects/p/witnesses/w-no-raw', { acceptRawEnvelope: false }, ['acceptRawEnvelope']);
    expect((await verify('no-raw')).reason).to.equal('BAD_SIGNATURE');
  });
});
