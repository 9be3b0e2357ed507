import type * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testToken, startTestServer, type TestServer } from '../support/test-server';
import { ADMINS, callGrpc, callRest, ep, fill, grpcClients, OCCURRENCE_WRITERS, READERS, type Endpoint } from '../support/rpc-matrix';

const G = 'grafeas.v1.Grafeas';
const P = 'attestd.v1.Projects';
const A = 'attestd.v1.AuditEvents';
const OCC = 'projects/{p}/occurrences/00000000-0000-4000-8000-000000000000';
const NOTE = { attestation: { hint: { humanReadableName: 'x' } } };
const OCCURRENCE = { resourceUri: 'https://r@sha256:0', noteName: 'projects/{p}/notes/n1', attestation: {} };

/** Every RPC and the roles it admits; adding an endpoint is one line. */
const ENDPOINTS: readonly Endpoint[] = [
  ep('GetOccurrence', G, ['GET', `/v1/${OCC}`], { name: OCC }, READERS),
  ep('ListOccurrences', G, ['GET', '/v1/projects/{p}/occurrences'], { parent: 'projects/{p}' }, READERS),
  ep('DeleteOccurrence', G, ['DELETE', `/v1/${OCC}`], { name: OCC }, OCCURRENCE_WRITERS),
  ep('CreateOccurrence', G, ['POST', '/v1/projects/{p}/occurrences', OCCURRENCE], { parent: 'projects/{p}', occurrence: OCCURRENCE }, OCCURRENCE_WRITERS),
  ep('BatchCreateOccurrences', G, ['POST', '/v1/projects/{p}/occurrences:batchCreate', { occurrences: [OCCURRENCE] }], { parent: 'projects/{p}', occurrences: [OCCURRENCE] }, OCCURRENCE_WRITERS),
  ep('UpdateOccurrence', G, ['PATCH', `/v1/${OCC}`, { remediation: 'r' }], { name: OCC, occurrence: { remediation: 'r' } }, OCCURRENCE_WRITERS),
  ep('GetOccurrenceNote', G, ['GET', `/v1/${OCC}/notes`], { name: OCC }, READERS),
  ep('GetNote', G, ['GET', '/v1/projects/{p}/notes/n1'], { name: 'projects/{p}/notes/n1' }, READERS),
  ep('ListNotes', G, ['GET', '/v1/projects/{p}/notes'], { parent: 'projects/{p}' }, READERS),
  ep('DeleteNote', G, ['DELETE', '/v1/projects/{p}/notes/n1'], { name: 'projects/{p}/notes/n1' }, ADMINS),
  ep('CreateNote', G, ['POST', '/v1/projects/{p}/notes?noteId=n2', NOTE], { parent: 'projects/{p}', noteId: 'n2', note: NOTE }, ADMINS),
  ep('BatchCreateNotes', G, ['POST', '/v1/projects/{p}/notes:batchCreate', { notes: { n3: NOTE } }], { parent: 'projects/{p}', notes: { n3: NOTE } }, ADMINS),
  ep('UpdateNote', G, ['PATCH', '/v1/projects/{p}/notes/n1', { shortDescription: 'd' }], { name: 'projects/{p}/notes/n1', note: { shortDescription: 'd' } }, ADMINS),
  ep('ListNoteOccurrences', G, ['GET', '/v1/projects/{p}/notes/n1/occurrences'], { name: 'projects/{p}/notes/n1' }, READERS),
  ep('CreateProject', P, ['POST', '/v1/projects', { name: 'projects/{p}' }], { project: { name: 'projects/{p}' } }, ADMINS),
  ep('GetProject', P, ['GET', '/v1/projects/{p}'], { name: 'projects/{p}' }, READERS),
  ep('ListProjects', P, ['GET', '/v1/projects'], {}, READERS, true),
  ep('DeleteProject', P, ['DELETE', '/v1/projects/{p}'], { name: 'projects/{p}' }, ADMINS),
  ep('ListAuditEvents', A, ['GET', '/v1/projects/{p}/auditEvents'], { parent: 'projects/{p}' }, READERS),
];

/** Callers: no role at all, each role on the project, and admin on another project only. */
const CALLERS: ReadonlyArray<{ name: string; role?: string; roles: (p: string) => Record<string, string[]> }> = [
  { name: 'no role', roles: () => ({}) },
  ...['viewer', 'attestor', 'admission', 'admin'].map((role) => ({ name: role, role, roles: (p: string) => ({ [p]: [role] }) })),
  { name: 'admin of another project', roles: () => ({ 'other-project': ['admin'] }) },
];

describe('authorization: role × endpoint matrix over REST and gRPC', function () {
  this.timeout(120000);
  let server: TestServer;
  let clients: Map<string, grpc.Client>;
  let dataDir: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-auth-matrix-'));
    server = await startTestServer({ env: { DATA_DIR: dataDir } });
    clients = grpcClients(server.grpcAddress);
  });
  after(async () => {
    for (const c of clients?.values() ?? []) c.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('covers every RPC the server serves', () => {
    const served = new Set<string>();
    for (const [name, client] of clients) {
      if (![G, P, A].includes(name)) continue;
      for (const m of Object.keys((client.constructor as unknown as { service: object }).service)) served.add(`${name}/${m}`);
    }
    expect(new Set(ENDPOINTS.map((e) => `${e.service}/${e.rpc}`))).to.deep.equal(served);
  });

  for (const transport of ['rest', 'grpc'] as const) {
    for (const e of ENDPOINTS) {
      it(`${transport} ${e.rpc}: ${e.allowed.join('/')} pass, others 403, anonymous 401 (on a project that does not exist)`, async () => {
        const call = (project: string, authorization: string | undefined) =>
          transport === 'rest'
            ? callRest(server.baseUrl, e.rest[0], fill(e.rest[1], project), e.rest[2] === undefined ? undefined : fill(e.rest[2], project), authorization)
            : callGrpc(clients, e.service, e.rpc, fill(e.grpc, project), authorization);
        const anonymous = await call('missing-project', undefined);
        expect(anonymous.code, 'anonymous').to.equal('UNAUTHENTICATED');
        for (const c of CALLERS) {
          const project = `m-${transport}-${e.rpc.toLowerCase()}-${CALLERS.indexOf(c)}`;
          const got = await call(project, `Bearer ${testToken(c.roles(project), `matrix-${c.name}`)}`);
          const allowed = c.role !== undefined && e.allowed.includes(c.role);
          if (allowed || e.filters) expect(got.code, `${c.name}: ${got.message}`).to.not.be.oneOf(['UNAUTHENTICATED', 'PERMISSION_DENIED']);
          else {
            expect(got.code, `${c.name}: ${got.message}`).to.equal('PERMISSION_DENIED');
            expect(got.message).to.match(/permission "[a-zA-Z]+\.[a-z]+"/);
          }
        }
      });
    }
  }
});
