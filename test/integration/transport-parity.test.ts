import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { ErrorCode } from '../../src/domain/api-error';
import { ERROR_CODES } from '../../src/domain/error-codes';
import { startTestServer, type TestServer } from '../support/test-server';
import { grpcClient, type ClientMethod } from '../support/grpc-clients';

// Transport parity: one table of cases, each run through REST (fetch) and through gRPC (a raw grpc-js
// client from the same protos). Both must answer the same code, and successes the same body once
// server-set values (occurrence ids, times, page tokens) are normalized.
//
// Every string in a case may use placeholders, filled per transport (each transport works in its own,
// identically prepared project): {p} the project id, {occ} / {occ2} / {occDel} occurrence ids.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Case {
  readonly desc: string;
  readonly rest: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: Json };
  readonly grpc: { service: 'grafeas.v1.Grafeas' | 'attestd.v1.Projects'; method: string; request: Json };
  readonly wantCode: 'OK' | ErrorCode;
  /** For successes: the normalized body both transports must answer. */
  readonly wantBody?: Json;
  /** For errors: text the message must contain on both transports. */
  readonly wantMessage?: string;
}

const NOW_DIGEST = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const IMAGE = (n: number): string => `https://registry.example.com/ns/app@${NOW_DIGEST(n)}`;
const PAYLOAD = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64');
const SIGNATURE = Buffer.from(Array.from({ length: 64 }, (_, i) => 255 - i)).toString('base64');
const MISSING_OCC = '01890a5d-ac96-774b-bcce-b302099a8057';

const attestationNote = (name: string): Json => ({ shortDescription: `note ${name}`, attestation: { hint: { humanReadableName: name } } });
const attestationOcc = (note: string, uri: string): Json => ({
  noteName: `projects/{p}/notes/${note}`,
  resourceUri: uri,
  attestation: { serializedPayload: PAYLOAD, signatures: [{ signature: SIGNATURE, publicKeyId: 'key-1' }] },
});
const occBody = (note: string, uri: string, extra: Record<string, Json> = {}): Json => ({
  name: 'projects/<p>/occurrences/<uuid>',
  noteName: `projects/<p>/notes/${note}`,
  resourceUri: uri,
  kind: 'ATTESTATION',
  attestation: { serializedPayload: PAYLOAD, signatures: [{ signature: SIGNATURE, publicKeyId: 'key-1' }] },
  ...extra,
});
const noteBody = (id: string, extra: Record<string, Json> = {}): Json => ({
  name: `projects/<p>/notes/${id}`,
  shortDescription: `note ${id}`,
  kind: 'ATTESTATION',
  attestation: { hint: { humanReadableName: id } },
  ...extra,
});

const G = 'grafeas.v1.Grafeas' as const;

const CASES: Case[] = [
  // ---- malformed names and requests
  {
    desc: 'GetNote: note id with ":" is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes/bad:id' },
    grpc: { service: G, method: 'GetNote', request: { name: 'projects/{p}/notes/bad:id' } },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'note id',
  },
  {
    desc: 'GetNote: project id starting with "-" is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/-p/notes/n1' },
    grpc: { service: G, method: 'GetNote', request: { name: 'projects/-p/notes/n1' } },
    wantCode: 'INVALID_ARGUMENT',
  },
  {
    desc: 'GetOccurrence: an id that is not a UUID is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/{p}/occurrences/not-a-uuid' },
    grpc: { service: G, method: 'GetOccurrence', request: { name: 'projects/{p}/occurrences/not-a-uuid' } },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'UUID',
  },
  {
    desc: 'CreateNote: without noteId is INVALID_ARGUMENT',
    rest: { method: 'POST', path: '/v1/projects/{p}/notes', body: attestationNote('x') },
    grpc: { service: G, method: 'CreateNote', request: { parent: 'projects/{p}', note: attestationNote('x') } },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'noteId',
  },
  {
    desc: 'CreateOccurrence: a malformed noteName is INVALID_ARGUMENT',
    rest: { method: 'POST', path: '/v1/projects/{p}/occurrences', body: { ...(attestationOcc('n1', IMAGE(1)) as object), noteName: 'n1' } },
    grpc: {
      service: G,
      method: 'CreateOccurrence',
      request: { parent: 'projects/{p}', occurrence: { ...(attestationOcc('n1', IMAGE(1)) as object), noteName: 'n1' } },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'noteName',
  },
  {
    desc: 'CreateOccurrence: without resourceUri is INVALID_ARGUMENT',
    rest: { method: 'POST', path: '/v1/projects/{p}/occurrences', body: { noteName: 'projects/{p}/notes/n1', attestation: {} } },
    grpc: {
      service: G,
      method: 'CreateOccurrence',
      request: { parent: 'projects/{p}', occurrence: { noteName: 'projects/{p}/notes/n1', attestation: {} } },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'resourceUri',
  },
  // ---- filters and paging
  {
    desc: 'ListNotes: bad filter syntax is INVALID_ARGUMENT with the position',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes?filter=kind%20%3D%20%3D%20ATTESTATION' },
    grpc: { service: G, method: 'ListNotes', request: { parent: 'projects/{p}', filter: 'kind = = ATTESTATION' } },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'position 7',
  },
  {
    desc: 'ListOccurrences: unknown filter field is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/{p}/occurrences?filter=colour%3D%22red%22' },
    grpc: { service: G, method: 'ListOccurrences', request: { parent: 'projects/{p}', filter: 'colour="red"' } },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'colour',
  },
  {
    desc: 'ListOccurrences: negative pageSize is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/{p}/occurrences?pageSize=-1' },
    grpc: { service: G, method: 'ListOccurrences', request: { parent: 'projects/{p}', pageSize: -1 } },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'pageSize',
  },
  {
    desc: 'ListNotes: a forged page token is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes?pageToken=bm90LWEtdG9rZW4' },
    grpc: { service: G, method: 'ListNotes', request: { parent: 'projects/{p}', pageToken: 'bm90LWEtdG9rZW4' } },
    wantCode: 'INVALID_ARGUMENT',
  },
  {
    desc: 'ListNoteOccurrences: negative pageSize is INVALID_ARGUMENT',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes/n1/occurrences?pageSize=-20' },
    grpc: { service: G, method: 'ListNoteOccurrences', request: { name: 'projects/{p}/notes/n1', pageSize: -20 } },
    wantCode: 'INVALID_ARGUMENT',
  },
  // ---- missing things
  {
    desc: 'CreateNote: a missing project is NOT_FOUND naming it',
    rest: { method: 'POST', path: '/v1/projects/nowhere/notes?noteId=x', body: attestationNote('x') },
    grpc: { service: G, method: 'CreateNote', request: { parent: 'projects/nowhere', noteId: 'x', note: attestationNote('x') } },
    wantCode: 'NOT_FOUND',
    wantMessage: 'projects/nowhere',
  },
  {
    desc: 'BatchCreateOccurrences: a missing project is NOT_FOUND',
    rest: { method: 'POST', path: '/v1/projects/nowhere/occurrences:batchCreate', body: { occurrences: [attestationOcc('n1', IMAGE(1))] } },
    grpc: {
      service: G,
      method: 'BatchCreateOccurrences',
      request: { parent: 'projects/nowhere', occurrences: [attestationOcc('n1', IMAGE(1))] },
    },
    wantCode: 'NOT_FOUND',
    wantMessage: 'projects/nowhere',
  },
  {
    desc: 'GetNote: a missing note is NOT_FOUND',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes/nope' },
    grpc: { service: G, method: 'GetNote', request: { name: 'projects/{p}/notes/nope' } },
    wantCode: 'NOT_FOUND',
  },
  {
    desc: 'GetOccurrence: a missing occurrence is NOT_FOUND',
    rest: { method: 'GET', path: `/v1/projects/{p}/occurrences/${MISSING_OCC}` },
    grpc: { service: G, method: 'GetOccurrence', request: { name: `projects/{p}/occurrences/${MISSING_OCC}` } },
    wantCode: 'NOT_FOUND',
  },
  {
    desc: 'CreateOccurrence: a missing note is NOT_FOUND naming it',
    rest: { method: 'POST', path: '/v1/projects/{p}/occurrences', body: attestationOcc('nope', IMAGE(1)) },
    grpc: { service: G, method: 'CreateOccurrence', request: { parent: 'projects/{p}', occurrence: attestationOcc('nope', IMAGE(1)) } },
    wantCode: 'NOT_FOUND',
    wantMessage: 'notes/nope',
  },
  {
    desc: 'ListNoteOccurrences: a missing note is NOT_FOUND',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes/nope/occurrences' },
    grpc: { service: G, method: 'ListNoteOccurrences', request: { name: 'projects/{p}/notes/nope' } },
    wantCode: 'NOT_FOUND',
  },
  {
    desc: 'DeleteOccurrence: a missing occurrence is NOT_FOUND',
    rest: { method: 'DELETE', path: `/v1/projects/{p}/occurrences/${MISSING_OCC}` },
    grpc: { service: G, method: 'DeleteOccurrence', request: { name: `projects/{p}/occurrences/${MISSING_OCC}` } },
    wantCode: 'NOT_FOUND',
  },
  // ---- kinds, batches, masks, references
  {
    desc: 'CreateOccurrence: BUILD details on an ATTESTATION note is INVALID_ARGUMENT',
    rest: {
      method: 'POST',
      path: '/v1/projects/{p}/occurrences',
      body: { noteName: 'projects/{p}/notes/n1', resourceUri: IMAGE(1), build: { provenance: { id: 'b' } } },
    },
    grpc: {
      service: G,
      method: 'CreateOccurrence',
      request: {
        parent: 'projects/{p}',
        occurrence: { noteName: 'projects/{p}/notes/n1', resourceUri: IMAGE(1), build: { provenance: { id: 'b' } } },
      },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'ATTESTATION',
  },
  {
    desc: 'BatchCreateOccurrences: 1001 items is INVALID_ARGUMENT, not 413',
    rest: {
      method: 'POST',
      path: '/v1/projects/{p}/occurrences:batchCreate',
      body: { occurrences: Array.from({ length: 1001 }, () => attestationOcc('n1', IMAGE(5))) },
    },
    grpc: {
      service: G,
      method: 'BatchCreateOccurrences',
      request: { parent: 'projects/{p}', occurrences: Array.from({ length: 1001 }, () => attestationOcc('n1', IMAGE(5))) },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: '1000',
  },
  {
    desc: 'BatchCreateNotes: 1001 notes is INVALID_ARGUMENT',
    rest: {
      method: 'POST',
      path: '/v1/projects/{p}/notes:batchCreate',
      body: { notes: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`b${i}`, attestationNote(`b${i}`)])) },
    },
    grpc: {
      service: G,
      method: 'BatchCreateNotes',
      request: {
        parent: 'projects/{p}',
        notes: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`b${i}`, attestationNote(`b${i}`)])),
      },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: '1000',
  },
  {
    desc: 'BatchCreateOccurrences: an empty batch is INVALID_ARGUMENT',
    rest: { method: 'POST', path: '/v1/projects/{p}/occurrences:batchCreate', body: { occurrences: [] } },
    grpc: { service: G, method: 'BatchCreateOccurrences', request: { parent: 'projects/{p}', occurrences: [] } },
    wantCode: 'INVALID_ARGUMENT',
  },
  {
    desc: 'BatchCreateNotes: an empty batch is INVALID_ARGUMENT',
    rest: { method: 'POST', path: '/v1/projects/{p}/notes:batchCreate', body: { notes: {} } },
    grpc: { service: G, method: 'BatchCreateNotes', request: { parent: 'projects/{p}', notes: {} } },
    wantCode: 'INVALID_ARGUMENT',
  },
  {
    desc: 'BatchCreateNotes: one bad id fails the batch with INVALID_ARGUMENT naming it',
    rest: {
      method: 'POST',
      path: '/v1/projects/{p}/notes:batchCreate',
      body: { notes: { ok1: attestationNote('ok1'), 'bad/id': attestationNote('bad') } },
    },
    grpc: {
      service: G,
      method: 'BatchCreateNotes',
      request: { parent: 'projects/{p}', notes: { ok1: attestationNote('ok1'), 'bad/id': attestationNote('bad') } },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'bad/id',
  },
  {
    desc: 'UpdateNote: an immutable mask path (create_time) is INVALID_ARGUMENT',
    rest: { method: 'PATCH', path: '/v1/projects/{p}/notes/n1?updateMask=create_time', body: { shortDescription: 'x' } },
    grpc: {
      service: G,
      method: 'UpdateNote',
      request: { name: 'projects/{p}/notes/n1', note: { shortDescription: 'x' }, updateMask: { paths: ['create_time'] } },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'createTime',
  },
  {
    desc: 'UpdateOccurrence: an unknown mask path is INVALID_ARGUMENT',
    rest: { method: 'PATCH', path: '/v1/projects/{p}/occurrences/{occ}?updateMask=resource_uri,no_such', body: { resourceUri: IMAGE(9) } },
    grpc: {
      service: G,
      method: 'UpdateOccurrence',
      request: {
        name: 'projects/{p}/occurrences/{occ}',
        occurrence: { resourceUri: IMAGE(9) },
        updateMask: { paths: ['resource_uri', 'no_such'] },
      },
    },
    wantCode: 'INVALID_ARGUMENT',
    wantMessage: 'noSuch',
  },
  {
    desc: 'UpdateOccurrence: an immutable mask path (note_name) is INVALID_ARGUMENT',
    rest: { method: 'PATCH', path: '/v1/projects/{p}/occurrences/{occ}?updateMask=noteName', body: { noteName: 'projects/{p}/notes/n2' } },
    grpc: {
      service: G,
      method: 'UpdateOccurrence',
      request: {
        name: 'projects/{p}/occurrences/{occ}',
        occurrence: { noteName: 'projects/{p}/notes/n2' },
        updateMask: { paths: ['noteName'] },
      },
    },
    wantCode: 'INVALID_ARGUMENT',
  },
  {
    desc: 'DeleteNote: a note occurrences reference is FAILED_PRECONDITION',
    rest: { method: 'DELETE', path: '/v1/projects/{p}/notes/n1' },
    grpc: { service: G, method: 'DeleteNote', request: { name: 'projects/{p}/notes/n1' } },
    wantCode: 'FAILED_PRECONDITION',
    wantMessage: 'occurrence',
  },
  {
    desc: 'CreateNote: a duplicate id is ALREADY_EXISTS',
    rest: { method: 'POST', path: '/v1/projects/{p}/notes?noteId=n1', body: attestationNote('n1') },
    grpc: { service: G, method: 'CreateNote', request: { parent: 'projects/{p}', noteId: 'n1', note: attestationNote('n1') } },
    wantCode: 'ALREADY_EXISTS',
  },
  // ---- successes, one per RPC
  {
    desc: 'CreateNote: OK',
    rest: { method: 'POST', path: '/v1/projects/{p}/notes?noteId=n3', body: attestationNote('n3') },
    grpc: { service: G, method: 'CreateNote', request: { parent: 'projects/{p}', noteId: 'n3', note: attestationNote('n3') } },
    wantCode: 'OK',
    wantBody: noteBody('n3'),
  },
  {
    desc: 'GetNote: OK',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes/n3' },
    grpc: { service: G, method: 'GetNote', request: { name: 'projects/{p}/notes/n3' } },
    wantCode: 'OK',
    wantBody: noteBody('n3'),
  },
  {
    desc: 'GetNote: OK through the /locations/* twin',
    rest: { method: 'GET', path: '/v1/projects/{p}/locations/us-east1/notes/n3' },
    grpc: { service: G, method: 'GetNote', request: { name: 'projects/{p}/locations/us-east1/notes/n3' } },
    wantCode: 'OK',
    wantBody: noteBody('n3'),
  },
  {
    desc: 'UpdateNote: OK, only the masked path changes',
    rest: {
      method: 'PATCH',
      path: '/v1/projects/{p}/notes/n3?updateMask=long_description',
      body: { longDescription: 'long', shortDescription: 'ignored' },
    },
    grpc: {
      service: G,
      method: 'UpdateNote',
      request: {
        name: 'projects/{p}/notes/n3',
        note: { longDescription: 'long', shortDescription: 'ignored' },
        updateMask: { paths: ['long_description'] },
      },
    },
    wantCode: 'OK',
    wantBody: noteBody('n3', { longDescription: 'long' }),
  },
  {
    desc: 'BatchCreateNotes: OK',
    rest: {
      method: 'POST',
      path: '/v1/projects/{p}/notes:batchCreate',
      body: { notes: { n4: attestationNote('n4'), n5: attestationNote('n5') } },
    },
    grpc: {
      service: G,
      method: 'BatchCreateNotes',
      request: { parent: 'projects/{p}', notes: { n4: attestationNote('n4'), n5: attestationNote('n5') } },
    },
    wantCode: 'OK',
  },
  {
    desc: 'ListNotes: OK, filtered, first page of two',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes?filter=kind%3DATTESTATION&pageSize=2' },
    grpc: { service: G, method: 'ListNotes', request: { parent: 'projects/{p}', filter: 'kind=ATTESTATION', pageSize: 2 } },
    wantCode: 'OK',
    wantBody: { notes: [noteBody('n1'), noteBody('n2')], nextPageToken: '<token>' },
  },
  {
    desc: 'CreateOccurrence: OK, bytes round-trip',
    rest: { method: 'POST', path: '/v1/projects/{p}/occurrences', body: attestationOcc('n3', IMAGE(3)) },
    grpc: { service: G, method: 'CreateOccurrence', request: { parent: 'projects/{p}', occurrence: attestationOcc('n3', IMAGE(3)) } },
    wantCode: 'OK',
    wantBody: occBody('n3', IMAGE(3)),
  },
  {
    desc: 'GetOccurrence: OK',
    rest: { method: 'GET', path: '/v1/projects/{p}/occurrences/{occ}' },
    grpc: { service: G, method: 'GetOccurrence', request: { name: 'projects/{p}/occurrences/{occ}' } },
    wantCode: 'OK',
    wantBody: occBody('n1', IMAGE(1)),
  },
  {
    desc: 'ListOccurrences: OK, filtered by resourceUri',
    rest: { method: 'GET', path: `/v1/projects/{p}/occurrences?filter=${encodeURIComponent(`resourceUri="${IMAGE(2)}"`)}` },
    grpc: { service: G, method: 'ListOccurrences', request: { parent: 'projects/{p}', filter: `resourceUri="${IMAGE(2)}"` } },
    wantCode: 'OK',
    wantBody: { occurrences: [occBody('n1', IMAGE(2))] },
  },
  {
    desc: 'UpdateOccurrence: OK with a mask',
    rest: {
      method: 'PATCH',
      path: '/v1/projects/{p}/occurrences/{occ2}?updateMask=remediation',
      body: { remediation: 'upgrade', resourceUri: IMAGE(99) },
    },
    grpc: {
      service: G,
      method: 'UpdateOccurrence',
      request: {
        name: 'projects/{p}/occurrences/{occ2}',
        occurrence: { remediation: 'upgrade', resourceUri: IMAGE(99) },
        updateMask: { paths: ['remediation'] },
      },
    },
    wantCode: 'OK',
    wantBody: occBody('n1', IMAGE(2), { remediation: 'upgrade' }),
  },
  {
    desc: 'BatchCreateOccurrences: OK',
    rest: {
      method: 'POST',
      path: '/v1/projects/{p}/occurrences:batchCreate',
      body: { occurrences: [attestationOcc('n2', IMAGE(7)), attestationOcc('n2', IMAGE(8))] },
    },
    grpc: {
      service: G,
      method: 'BatchCreateOccurrences',
      request: { parent: 'projects/{p}', occurrences: [attestationOcc('n2', IMAGE(7)), attestationOcc('n2', IMAGE(8))] },
    },
    wantCode: 'OK',
    wantBody: { occurrences: [occBody('n2', IMAGE(7)), occBody('n2', IMAGE(8))] },
  },
  {
    desc: 'GetOccurrenceNote: OK',
    rest: { method: 'GET', path: '/v1/projects/{p}/occurrences/{occ}/notes' },
    grpc: { service: G, method: 'GetOccurrenceNote', request: { name: 'projects/{p}/occurrences/{occ}' } },
    wantCode: 'OK',
    wantBody: noteBody('n1'),
  },
  {
    desc: 'ListNoteOccurrences: OK',
    rest: { method: 'GET', path: '/v1/projects/{p}/notes/n2/occurrences' },
    grpc: { service: G, method: 'ListNoteOccurrences', request: { name: 'projects/{p}/notes/n2' } },
    wantCode: 'OK',
    wantBody: { occurrences: [occBody('n2', IMAGE(7)), occBody('n2', IMAGE(8))] },
  },
  {
    desc: 'DeleteOccurrence: OK',
    rest: { method: 'DELETE', path: '/v1/projects/{p}/occurrences/{occDel}' },
    grpc: { service: G, method: 'DeleteOccurrence', request: { name: 'projects/{p}/occurrences/{occDel}' } },
    wantCode: 'OK',
    wantBody: {},
  },
  {
    desc: 'DeleteNote: OK once unreferenced',
    rest: { method: 'DELETE', path: '/v1/projects/{p}/notes/n5' },
    grpc: { service: G, method: 'DeleteNote', request: { name: 'projects/{p}/notes/n5' } },
    wantCode: 'OK',
    wantBody: {},
  },
  {
    desc: 'GetProject: OK',
    rest: { method: 'GET', path: '/v1/projects/{p}' },
    grpc: { service: 'attestd.v1.Projects', method: 'GetProject', request: { name: 'projects/{p}' } },
    wantCode: 'OK',
    wantBody: { name: 'projects/<p>' },
  },
];

/** What each transport's project holds before the cases run: notes n1, n2; occurrences on n1. */
interface Fixture {
  readonly project: string;
  readonly vars: Record<string, string>;
}

function fill<T extends Json>(v: T, vars: Record<string, string>): T {
  if (typeof v === 'string') return v.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m) as T;
  if (Array.isArray(v)) return v.map((x) => fill(x, vars)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars)])) as T;
  return v;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const SERVER_TIMES = new Set(['createTime', 'updateTime']);

/** Removes server-set times, replaces occurrence ids, the project id and page tokens with placeholders. */
function normalize(v: unknown, project: string): Json {
  if (typeof v === 'string') return v.split(`projects/${project}`).join('projects/<p>').replace(UUID, '<uuid>');
  if (Array.isArray(v)) return v.map((x) => normalize(x, project));
  if (v && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      if (SERVER_TIMES.has(k)) continue;
      if (k === 'nextPageToken') {
        if (x) out[k] = '<token>';
        continue;
      }
      out[k] = normalize(x, project);
    }
    return out;
  }
  return v as Json;
}

function normalizeMessage(message: string, project: string): string {
  return message.split(project).join('<p>').replace(UUID, '<uuid>');
}

interface Outcome {
  code: ErrorCode | 'OK';
  body?: Json;
  message?: string;
}

const codeByHttp = (status: number, statusName: string | undefined): ErrorCode | 'OK' => {
  if (status === 200) return 'OK';
  const name = statusName as ErrorCode;
  expect(ERROR_CODES[name], `REST status name ${statusName}`).to.not.equal(undefined);
  expect(ERROR_CODES[name].http, `HTTP status of ${name}`).to.equal(status);
  return name;
};
const codeByGrpc = (code: number): ErrorCode | 'OK' => {
  if (code === Number(grpc.status.OK)) return 'OK';
  const found = (Object.keys(ERROR_CODES) as ErrorCode[]).find((k) => ERROR_CODES[k].grpc === code);
  if (!found) throw new Error(`gRPC code ${code} is not one attestd answers`);
  return found;
};

function loadGrpcClients(address: string): Record<string, grpc.Client> {
  const options = { 'grpc.max_send_message_length': 32 * 1024 * 1024, 'grpc.max_receive_message_length': 32 * 1024 * 1024 };
  return {
    'grafeas.v1.Grafeas': grpcClient(address, 'grafeas.v1.Grafeas', options),
    'attestd.v1.Projects': grpcClient(address, 'attestd.v1.Projects', options),
  };
}

describe('transport parity: REST and gRPC answer alike', function () {
  this.timeout(60000);
  let server: TestServer;
  let clients: Record<string, grpc.Client>;
  const fixtures: Record<'rest' | 'grpc', Fixture> = {} as never;

  const restCall = async (method: string, path: string, body?: unknown, raw?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json', ...headers },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      text,
      json: json as Record<string, unknown> | undefined,
    };
  };

  const rest = async (c: Case, f: Fixture): Promise<Outcome> => {
    const r = await restCall(c.rest.method, fill(c.rest.path, f.vars), c.rest.body === undefined ? undefined : fill(c.rest.body, f.vars));
    expect(r.contentType, `${r.status} ${r.text.slice(0, 200)}`).to.match(/^application\/json/);
    if (r.status === 200) return { code: 'OK', body: normalize(r.json ?? {}, f.project) };
    const error = r.json?.error as { code?: number; status?: string; message?: string } | undefined;
    expect(error, `Google-shaped error body: ${r.text.slice(0, 300)}`).to.be.an('object');
    expect(error!.code).to.equal(r.status);
    return { code: codeByHttp(r.status, error!.status), message: normalizeMessage(String(error!.message), f.project) };
  };

  const grpcCall = (c: Case, f: Fixture): Promise<Outcome> =>
    new Promise((resolve) => {
      const client = clients[c.grpc.service]! as unknown as Record<string, ClientMethod>;
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${server.adminToken}`);
      client[c.grpc.method]!.call(
        client,
        fill(c.grpc.request, f.vars),
        metadata,
        { deadline: Date.now() + 30000 },
        (err: grpc.ServiceError | null, response: unknown) => {
          if (err) resolve({ code: codeByGrpc(err.code), message: normalizeMessage(err.details, f.project) });
          else resolve({ code: 'OK', body: normalize(response, f.project) });
        },
      );
    });

  async function prepare(project: string): Promise<Fixture> {
    const must = async (method: string, path: string, body?: unknown) => {
      const r = await restCall(method, path, body);
      if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
      return r.json!;
    };
    const vars: Record<string, string> = { p: project };
    await must('POST', '/v1/projects', { name: `projects/${project}` });
    await must('POST', `/v1/projects/${project}/notes?noteId=n1`, fill(attestationNote('n1'), vars));
    await must('POST', `/v1/projects/${project}/notes?noteId=n2`, fill(attestationNote('n2'), vars));
    const id = (o: Record<string, unknown>) => String(o.name).split('/').pop()!;
    vars.occ = id(await must('POST', `/v1/projects/${project}/occurrences`, fill(attestationOcc('n1', IMAGE(1)), vars)));
    vars.occ2 = id(await must('POST', `/v1/projects/${project}/occurrences`, fill(attestationOcc('n1', IMAGE(2)), vars)));
    vars.occDel = id(await must('POST', `/v1/projects/${project}/occurrences`, fill(attestationOcc('n1', IMAGE(6)), vars)));
    return { project, vars };
  }

  before(async () => {
    server = await startTestServer();
    clients = loadGrpcClients(server.grpcAddress);
    fixtures.rest = await prepare('parity-rest');
    fixtures.grpc = await prepare('parity-grpc');
  });
  after(async () => {
    for (const c of Object.values(clients ?? {})) c.close();
    await server?.stop();
  });

  it('has at least 25 cases and a success for each of the 14 Grafeas RPCs', () => {
    expect(CASES.length).to.be.at.least(25);
    const ok = new Set(CASES.filter((c) => c.wantCode === 'OK' && c.grpc.service === G).map((c) => c.grpc.method));
    expect(ok.size).to.equal(14);
  });

  for (const c of CASES) {
    it(c.desc, async () => {
      const viaRest = await rest(c, fixtures.rest);
      const viaGrpc = await grpcCall(c, fixtures.grpc);
      expect(viaRest.code, `REST: ${viaRest.message ?? ''}`).to.equal(c.wantCode);
      expect(viaGrpc.code, `gRPC: ${viaGrpc.message ?? ''}`).to.equal(c.wantCode);
      if (c.wantCode === 'OK') {
        expect(viaGrpc.body, 'gRPC body equals REST body').to.deep.equal(viaRest.body);
        if (c.wantBody !== undefined) expect(viaRest.body).to.deep.equal(c.wantBody);
      } else {
        expect(viaGrpc.message, 'same error message on both transports').to.equal(viaRest.message);
        if (c.wantMessage) expect(viaRest.message).to.contain(c.wantMessage);
      }
    });
  }

  it('a call without a token is UNAUTHENTICATED on both transports', async () => {
    const res = await fetch(`${server.baseUrl}/v1/projects/${fixtures.rest.project}/notes/n1`);
    expect(res.status).to.equal(ERROR_CODES.UNAUTHENTICATED.http);
    expect(((await res.json()) as { error: { status: string } }).error.status).to.equal('UNAUTHENTICATED');
    const code = await new Promise<number>((resolve) => {
      const client = clients[G]! as unknown as Record<string, ClientMethod>;
      client.GetNote!.call(client, { name: `projects/${fixtures.grpc.project}/notes/n1` }, (err: grpc.ServiceError | null) =>
        resolve(err ? err.code : 0),
      );
    });
    expect(code).to.equal(ERROR_CODES.UNAUTHENTICATED.grpc);
  });

  describe('REST only', () => {
    const p = (): string => fixtures.rest.project;
    const expectGoogleError = (
      r: { status: number; contentType: string; json?: Record<string, unknown>; text: string },
      status: number,
      name: string,
    ) => {
      expect(r.status, r.text.slice(0, 300)).to.equal(status);
      expect(r.contentType).to.match(/^application\/json/);
      const error = r.json?.error as Record<string, unknown> | undefined;
      expect(error, r.text.slice(0, 300)).to.be.an('object');
      expect(error!.code).to.equal(status);
      expect(error!.status).to.equal(name);
      expect(error!.message).to.be.a('string').and.not.equal('');
      const details = error!.details as Array<Record<string, unknown>>;
      expect(details.some((d) => d['@type'] === 'type.googleapis.com/google.rpc.RequestInfo' && typeof d.requestId === 'string')).to.equal(
        true,
      );
    };

    it('a body over 16 MiB is 413 with a Google error body', async () => {
      const big = JSON.stringify({ occurrences: [{ noteName: `projects/${p()}/notes/n1`, resourceUri: 'x'.repeat(17 * 1024 * 1024) }] });
      const r = await restCall('POST', `/v1/projects/${p()}/occurrences:batchCreate`, undefined, big);
      expectGoogleError(r, 413, 'RESOURCE_EXHAUSTED');
    });

    it('a full 1000-item batch near the limit is accepted (not 413)', async () => {
      const occurrences = Array.from({ length: 1000 }, (_, i) => ({
        noteName: `projects/${p()}/notes/n4`,
        resourceUri: IMAGE(10000 + i),
        attestation: {
          serializedPayload: Buffer.alloc(4096, i % 256).toString('base64'),
          signatures: [{ signature: SIGNATURE, publicKeyId: 'k' }],
        },
      }));
      const r = await restCall('POST', `/v1/projects/${p()}/occurrences:batchCreate`, { occurrences });
      expect(r.status, r.text.slice(0, 300)).to.equal(200);
      expect((r.json!.occurrences as unknown[]).length).to.equal(1000);
    });

    it('malformed JSON is 400 INVALID_ARGUMENT', async () => {
      const r = await restCall('POST', `/v1/projects/${p()}/notes?noteId=broken`, undefined, '{"shortDescription": ');
      expectGoogleError(r, 400, 'INVALID_ARGUMENT');
    });

    it('a malformed %-escape in the path is 400 with a JSON body, not an HTML page', async () => {
      const r = await restCall('GET', `/v1/projects/${p()}/notes/%E0%A4%A`);
      expectGoogleError(r, 400, 'INVALID_ARGUMENT');
      expect(r.text).to.not.match(/<html|<pre|at .*\.js/i);
      const r2 = await restCall('GET', `/v1/projects/%zz/notes`);
      expectGoogleError(r2, 400, 'INVALID_ARGUMENT');
    });

    it('an unknown body field is 400 naming it', async () => {
      const r = await restCall('POST', `/v1/projects/${p()}/notes?noteId=unknown-field`, { shortDescription: 'x', colour: 'red' });
      expectGoogleError(r, 400, 'INVALID_ARGUMENT');
      expect(String((r.json!.error as Record<string, unknown>).message)).to.contain('colour');
    });

    it('proto field names in the body are accepted (short_description, related_url)', async () => {
      const r = await restCall('POST', `/v1/projects/${p()}/notes?noteId=proto-names`, {
        short_description: 'by proto name',
        related_url: [{ url: 'https://x.example', label: 'x' }],
        attestation: { hint: { human_readable_name: 'H' } },
      });
      expect(r.status, r.text).to.equal(200);
      expect(r.json!.shortDescription).to.equal('by proto name');
      expect(r.json!.relatedUrl).to.deep.equal([{ url: 'https://x.example', label: 'x' }]);
      expect(r.json!.attestation).to.deep.equal({ hint: { humanReadableName: 'H' } });
      expect(r.json).to.not.have.property('short_description');
    });

    it('integer enums are accepted and enum names answered', async () => {
      const r = await restCall('POST', `/v1/projects/${p()}/notes?noteId=vuln-int`, { vulnerability: { severity: 3, cvssScore: 5.5 } });
      expect(r.status, r.text).to.equal(200);
      expect(r.json!.kind).to.equal('VULNERABILITY');
      expect((r.json!.vulnerability as Record<string, unknown>).severity).to.equal('MEDIUM');
      const r2 = await restCall('POST', `/v1/projects/${p()}/notes?noteId=vuln-name`, { vulnerability: { severity: 'HIGH' } });
      expect(r2.status, r2.text).to.equal(200);
      expect((r2.json!.vulnerability as Record<string, unknown>).severity).to.equal('HIGH');
    });

    it('$alt=json;enum-encoding=int is ignored: enum names are still answered', async () => {
      const r = await restCall('GET', `/v1/projects/${p()}/notes/n1?$alt=json%3Benum-encoding=int`);
      expect(r.status, r.text).to.equal(200);
      expect(r.json!.kind).to.equal('ATTESTATION');
    });

    it('an empty pageToken= is the first page; page_size in snake_case is accepted', async () => {
      const first = await restCall('GET', `/v1/projects/${p()}/notes?pageSize=2&pageToken=&$alt=json%3Benum-encoding=int`);
      expect(first.status, first.text).to.equal(200);
      expect((first.json!.notes as Array<Record<string, unknown>>).map((n) => n.name)).to.deep.equal([
        `projects/${p()}/notes/n1`,
        `projects/${p()}/notes/n2`,
      ]);
      expect(first.json!.nextPageToken).to.be.a('string').and.not.equal('');
      const snake = await restCall('GET', `/v1/projects/${p()}/notes?page_size=2&page_token=`);
      expect(snake.status, snake.text).to.equal(200);
      expect(snake.json!.notes).to.deep.equal(first.json!.notes);
      const next = await restCall(
        'GET',
        `/v1/projects/${p()}/notes?pageSize=2&pageToken=${encodeURIComponent(String(first.json!.nextPageToken))}`,
      );
      expect(next.status, next.text).to.equal(200);
      expect((next.json!.notes as Array<Record<string, unknown>>)[0]!.name).to.not.equal(`projects/${p()}/notes/n1`);
    });

    it('an unknown query parameter is 400', async () => {
      const r = await restCall('GET', `/v1/projects/${p()}/notes?colour=red`);
      expectGoogleError(r, 400, 'INVALID_ARGUMENT');
      expect(String((r.json!.error as Record<string, unknown>).message)).to.contain('colour');
    });

    it('an unknown path is a Google-shaped 404', async () => {
      const r = await restCall('GET', `/v1/projects/${p()}/widgets`);
      expectGoogleError(r, 404, 'NOT_FOUND');
    });

    it('PATCH without updateMask uses the mask implied by the body', async () => {
      const r = await restCall('PATCH', `/v1/projects/${p()}/notes/n2`, { longDescription: 'implied' });
      expect(r.status, r.text).to.equal(200);
      expect(r.json!.longDescription).to.equal('implied');
      expect(r.json!.shortDescription).to.equal('note n2');
    });

    it('the /locations/* twins of list and batch paths work', async () => {
      const list = await restCall('GET', `/v1/projects/${p()}/locations/global/occurrences?pageSize=1`);
      expect(list.status, list.text).to.equal(200);
      expect(list.json!.occurrences).to.have.length(1);
      const batch = await restCall('POST', `/v1/projects/${p()}/locations/global/notes:batchCreate`, {
        notes: { 'loc-1': attestationNote('loc-1') },
      });
      expect(batch.status, batch.text).to.equal(200);
      expect((batch.json!.notes as Array<Record<string, unknown>>)[0]!.name).to.equal(`projects/${p()}/notes/loc-1`);
    });
  });
});
