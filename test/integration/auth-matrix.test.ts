import type * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testToken, startTestServer, type TestServer } from '../support/test-server';
import {
  ADMINS,
  ADMISSION,
  ATTESTORS,
  callGrpc,
  callRest,
  ep,
  fill,
  grpcClients,
  OCCURRENCE_WRITERS,
  READERS,
  type Endpoint,
} from '../support/rpc-matrix';

const G = 'grafeas.v1.Grafeas';
const P = 'attestd.v1.Projects';
const A = 'attestd.v1.AuditEvents';
const K = 'attestd.v1.KeyManagement';
const W = 'attestd.v1.Witnesses';
const PO = 'attestd.v1.Policies';
const CL = 'attestd.v1.Clusters';
const V = 'attestd.v1.Verification';
const SR = 'attestd.v1.SigningRules';
const IR = 'attestd.v1.ImportRules';
const H = 'attestd.v1.Hooks';
const S = 'attestd.v1.Scans';
const VX = 'attestd.v1.Vex';
const IDP = 'attestd.v1.IdentityProviders';
const PROVIDER = 'projects/{p}/identityProviders/ci';
const PROVIDER_BODY = {
  issuer: 'https://issuer.example.com',
  jwksUri: 'https://issuer.example.com/jwks',
  audience: 'attestd',
  algorithms: ['ES256'],
  roleBindings: [{ claim: 'sub', equals: 'ci', roles: ['attestor'] }],
};
const KEY = 'projects/{p}/keys/k1';
const WIT = 'projects/{p}/witnesses/w1';
const POL = 'projects/{p}/policies/p1';
const CLU = 'projects/{p}/clusters/c1';
const REPORT = { adapter: 'pod-1', version: '0.1.0', mode: 'remote', decisionsServed: '3' };
const RULE = 'projects/{p}/signingRules/r1';
const IRULE = 'projects/{p}/importRules/r1';
const IMPORT_RULE = { registry: '127.0.0.1:5000', namespace: 'ns', witnesses: [WIT], plainHttp: true, enabled: true };
const SIGNING_RULE = { registry: '127.0.0.1:5000', namespace: 'ns', repositories: '*', witness: WIT, enabled: true };
const GENERIC = { images: ['127.0.0.1:5000/ns/a@sha256:' + '0'.repeat(64)] };
const BYTES = { data: 'eA==', signature: 'eA==' };
const WITNESS = { key: KEY, description: 'd' };
const POLICY = { witnesses: [WIT], cluster: 'c1', namespaces: ['default'] };
const VERIFY = { cluster: 'c1', namespace: 'default', images: ['r.example.com/a@sha256:' + '0'.repeat(64)] };
const IMAGE = { image: 'r.example.com/a@sha256:' + '0'.repeat(64) };
const SCAN = { ...IMAGE, report: { matches: [] } };
const VEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  statements: [{ vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'r.example.com/a' }], status: 'fixed' }],
};
const OCC = 'projects/{p}/occurrences/00000000-0000-4000-8000-000000000000';
const HOOK_EVENT = 'projects/{p}/hookEvents/00000000-0000-4000-8000-000000000000';
const NOTE = { attestation: { hint: { humanReadableName: 'x' } } };
const OCCURRENCE = { resourceUri: 'https://r@sha256:0', noteName: 'projects/{p}/notes/n1', attestation: {} };

/** Every RPC and the roles it admits; adding an endpoint is one line. */
const ENDPOINTS: readonly Endpoint[] = [
  ep('GetOccurrence', G, ['GET', `/v1/${OCC}`], { name: OCC }, READERS),
  ep('ListOccurrences', G, ['GET', '/v1/projects/{p}/occurrences'], { parent: 'projects/{p}' }, READERS),
  ep('DeleteOccurrence', G, ['DELETE', `/v1/${OCC}`], { name: OCC }, OCCURRENCE_WRITERS),
  ep(
    'CreateOccurrence',
    G,
    ['POST', '/v1/projects/{p}/occurrences', OCCURRENCE],
    { parent: 'projects/{p}', occurrence: OCCURRENCE },
    OCCURRENCE_WRITERS,
  ),
  ep(
    'BatchCreateOccurrences',
    G,
    ['POST', '/v1/projects/{p}/occurrences:batchCreate', { occurrences: [OCCURRENCE] }],
    { parent: 'projects/{p}', occurrences: [OCCURRENCE] },
    OCCURRENCE_WRITERS,
  ),
  ep(
    'UpdateOccurrence',
    G,
    ['PATCH', `/v1/${OCC}`, { remediation: 'r' }],
    { name: OCC, occurrence: { remediation: 'r' } },
    OCCURRENCE_WRITERS,
  ),
  ep('GetOccurrenceNote', G, ['GET', `/v1/${OCC}/notes`], { name: OCC }, READERS),
  ep('GetNote', G, ['GET', '/v1/projects/{p}/notes/n1'], { name: 'projects/{p}/notes/n1' }, READERS),
  ep('ListNotes', G, ['GET', '/v1/projects/{p}/notes'], { parent: 'projects/{p}' }, READERS),
  ep('DeleteNote', G, ['DELETE', '/v1/projects/{p}/notes/n1'], { name: 'projects/{p}/notes/n1' }, ADMINS),
  ep('CreateNote', G, ['POST', '/v1/projects/{p}/notes?noteId=n2', NOTE], { parent: 'projects/{p}', noteId: 'n2', note: NOTE }, ADMINS),
  ep(
    'BatchCreateNotes',
    G,
    ['POST', '/v1/projects/{p}/notes:batchCreate', { notes: { n3: NOTE } }],
    { parent: 'projects/{p}', notes: { n3: NOTE } },
    ADMINS,
  ),
  ep(
    'UpdateNote',
    G,
    ['PATCH', '/v1/projects/{p}/notes/n1', { shortDescription: 'd' }],
    { name: 'projects/{p}/notes/n1', note: { shortDescription: 'd' } },
    ADMINS,
  ),
  ep('ListNoteOccurrences', G, ['GET', '/v1/projects/{p}/notes/n1/occurrences'], { name: 'projects/{p}/notes/n1' }, READERS),
  ep('CreateProject', P, ['POST', '/v1/projects', { name: 'projects/{p}' }], { project: { name: 'projects/{p}' } }, ADMINS),
  ep('GetProject', P, ['GET', '/v1/projects/{p}'], { name: 'projects/{p}' }, READERS),
  ep('ListProjects', P, ['GET', '/v1/projects'], {}, READERS, true),
  ep('DeleteProject', P, ['DELETE', '/v1/projects/{p}'], { name: 'projects/{p}' }, ADMINS),
  ep('ListAuditEvents', A, ['GET', '/v1/projects/{p}/auditEvents'], { parent: 'projects/{p}' }, READERS),
  ep('VerifyAuditChain', A, ['GET', '/v1/projects/{p}/auditEvents:verify'], { parent: 'projects/{p}' }, READERS),
  ep(
    'CreateKey',
    K,
    ['POST', '/v1/projects/{p}/keys?keyId=k2', { keySpec: 'EC_P256' }],
    { parent: 'projects/{p}', keyId: 'k2', key: { keySpec: 'EC_P256' } },
    ADMINS,
  ),
  ep('GetKey', K, ['GET', `/v1/${KEY}`], { name: KEY }, READERS),
  ep('ListKeys', K, ['GET', '/v1/projects/{p}/keys'], { parent: 'projects/{p}' }, READERS),
  ep('GetPublicKey', K, ['GET', `/v1/${KEY}/publicKey`], { name: KEY }, READERS),
  ep('Sign', K, ['POST', `/v1/${KEY}:sign`, { data: 'eA==' }], { name: KEY, data: 'eA==' }, ADMINS),
  ep('Verify', K, ['POST', `/v1/${KEY}:verify`, BYTES], { name: KEY, ...BYTES }, READERS),
  ep('RotateKey', K, ['POST', `/v1/${KEY}:rotate`, {}], { name: KEY }, ADMINS),
  ep('DisableKey', K, ['POST', `/v1/${KEY}:disable`, {}], { name: KEY }, ADMINS),
  ep('EnableKey', K, ['POST', `/v1/${KEY}:enable`, {}], { name: KEY }, ADMINS),
  ep(
    'CreateWitness',
    W,
    ['POST', '/v1/projects/{p}/witnesses?witnessId=w2', WITNESS],
    { parent: 'projects/{p}', witnessId: 'w2', witness: WITNESS },
    ADMINS,
  ),
  ep('GetWitness', W, ['GET', `/v1/${WIT}`], { name: WIT }, READERS),
  ep('ListWitnesses', W, ['GET', '/v1/projects/{p}/witnesses'], { parent: 'projects/{p}' }, READERS),
  ep('UpdateWitness', W, ['PATCH', `/v1/${WIT}`, { description: 'e' }], { name: WIT, witness: { description: 'e' } }, ADMINS),
  ep('DeleteWitness', W, ['DELETE', `/v1/${WIT}`], { name: WIT }, ADMINS),
  ep('Attest', W, ['POST', `/v1/${WIT}:attest`, IMAGE], { name: WIT, ...IMAGE }, ATTESTORS),
  ep('ImportScan', S, ['POST', '/v1/projects/{p}/scans', SCAN], { parent: 'projects/{p}', ...SCAN }, ATTESTORS),
  ep('ImportVex', VX, ['POST', '/v1/projects/{p}/vex', VEX], { parent: 'projects/{p}', document: VEX }, ATTESTORS),
  ep(
    'CreatePolicy',
    PO,
    ['POST', '/v1/projects/{p}/policies?policyId=p2', POLICY],
    { parent: 'projects/{p}', policyId: 'p2', policy: POLICY },
    ADMINS,
  ),
  ep('GetPolicy', PO, ['GET', `/v1/${POL}`], { name: POL }, READERS),
  ep('ListPolicies', PO, ['GET', '/v1/projects/{p}/policies'], { parent: 'projects/{p}' }, READERS),
  ep('UpdatePolicy', PO, ['PATCH', `/v1/${POL}`, { enabled: true }], { name: POL, policy: { enabled: true } }, ADMINS),
  ep('DeletePolicy', PO, ['DELETE', `/v1/${POL}`], { name: POL }, ADMINS),
  ep(
    'CreateCluster',
    CL,
    ['POST', '/v1/projects/{p}/clusters?clusterId=c2', {}],
    { parent: 'projects/{p}', clusterId: 'c2', cluster: {} },
    ADMINS,
  ),
  ep('GetCluster', CL, ['GET', `/v1/${CLU}`], { name: CLU }, READERS),
  ep('ListClusters', CL, ['GET', '/v1/projects/{p}/clusters'], { parent: 'projects/{p}' }, READERS),
  ep('UpdateCluster', CL, ['PATCH', `/v1/${CLU}`, { description: 'e' }], { name: CLU, cluster: { description: 'e' } }, ADMINS),
  ep('DeleteCluster', CL, ['DELETE', `/v1/${CLU}`], { name: CLU }, ADMINS),
  ep('ReportIn', CL, ['POST', `/v1/${CLU}:reportIn`, REPORT], { name: CLU, ...REPORT }, ADMISSION),
  ep('VerifyImages', V, ['POST', '/v1/projects/{p}:verifyImages', VERIFY], { parent: 'projects/{p}', ...VERIFY }, ADMISSION),
  ep('ListDecisions', V, ['GET', '/v1/projects/{p}/decisions'], { parent: 'projects/{p}' }, READERS),
  ep(
    'CreateSigningRule',
    SR,
    ['POST', '/v1/projects/{p}/signingRules?ruleId=r2', SIGNING_RULE],
    { parent: 'projects/{p}', ruleId: 'r2', signingRule: SIGNING_RULE },
    ADMINS,
  ),
  ep('GetSigningRule', SR, ['GET', `/v1/${RULE}`], { name: RULE }, READERS),
  ep('ListSigningRules', SR, ['GET', '/v1/projects/{p}/signingRules'], { parent: 'projects/{p}' }, READERS),
  ep('UpdateSigningRule', SR, ['PATCH', `/v1/${RULE}`, { enabled: false }], { name: RULE, signingRule: { enabled: false } }, ADMINS),
  ep('DeleteSigningRule', SR, ['DELETE', `/v1/${RULE}`], { name: RULE }, ADMINS),
  ep(
    'CreateImportRule',
    IR,
    ['POST', '/v1/projects/{p}/importRules?ruleId=r2', IMPORT_RULE],
    { parent: 'projects/{p}', ruleId: 'r2', importRule: IMPORT_RULE },
    ADMINS,
  ),
  ep('GetImportRule', IR, ['GET', `/v1/${IRULE}`], { name: IRULE }, READERS),
  ep('ListImportRules', IR, ['GET', '/v1/projects/{p}/importRules'], { parent: 'projects/{p}' }, READERS),
  ep('UpdateImportRule', IR, ['PATCH', `/v1/${IRULE}`, { enabled: false }], { name: IRULE, importRule: { enabled: false } }, ADMINS),
  ep('DeleteImportRule', IR, ['DELETE', `/v1/${IRULE}`], { name: IRULE }, ADMINS),
  ep('ImportImage', IR, ['POST', '/v1/projects/{p}/images:import', IMAGE], { parent: 'projects/{p}', ...IMAGE }, ATTESTORS),
  ep(
    'DistributionHook',
    H,
    ['POST', '/v1/projects/{p}/hooks/distribution', { events: [] }],
    { parent: 'projects/{p}', payload: { events: [] } },
    ATTESTORS,
  ),
  ep(
    'HarborHook',
    H,
    ['POST', '/v1/projects/{p}/hooks/harbor', { type: 'PULL_ARTIFACT' }],
    { parent: 'projects/{p}', payload: { type: 'PULL_ARTIFACT' } },
    ATTESTORS,
  ),
  ep(
    'AcrHook',
    H,
    ['POST', '/v1/projects/{p}/hooks/acr?registry=127.0.0.1:5000', {}],
    { parent: 'projects/{p}', registry: '127.0.0.1:5000', payload: {} },
    ATTESTORS,
  ),
  ep('GenericHook', H, ['POST', '/v1/projects/{p}/hooks/generic', GENERIC], { parent: 'projects/{p}', payload: GENERIC }, ATTESTORS),
  ep('ListHookEvents', H, ['GET', '/v1/projects/{p}/hookEvents'], { parent: 'projects/{p}' }, READERS),
  ep(
    'CreateIdentityProvider',
    IDP,
    ['POST', '/v1/projects/{p}/identityProviders?providerId=ci2', PROVIDER_BODY],
    { parent: 'projects/{p}', providerId: 'ci2', identityProvider: PROVIDER_BODY },
    ADMINS,
  ),
  ep('GetIdentityProvider', IDP, ['GET', `/v1/${PROVIDER}`], { name: PROVIDER }, READERS),
  ep('ListIdentityProviders', IDP, ['GET', '/v1/projects/{p}/identityProviders'], { parent: 'projects/{p}' }, READERS),
  ep(
    'UpdateIdentityProvider',
    IDP,
    ['PATCH', `/v1/${PROVIDER}`, { description: 'd' }],
    { name: PROVIDER, identityProvider: { description: 'd' } },
    ADMINS,
  ),
  ep('DeleteIdentityProvider', IDP, ['DELETE', `/v1/${PROVIDER}`], { name: PROVIDER }, ADMINS),
  ep('RetryHookEvent', H, ['POST', `/v1/${HOOK_EVENT}:retry`, {}], { name: HOOK_EVENT }, ATTESTORS),
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
      if (![G, P, A, K, W, PO, CL, V, SR, IR, H, S, VX, IDP].includes(name)) continue;
      for (const m of Object.keys((client.constructor as unknown as { service: object }).service)) served.add(`${name}/${m}`);
    }
    expect(new Set(ENDPOINTS.map((e) => `${e.service}/${e.rpc}`))).to.deep.equal(served);
  });

  for (const transport of ['rest', 'grpc'] as const) {
    for (const e of ENDPOINTS) {
      it(`${transport} ${e.rpc}: ${e.allowed.join('/')} pass, others 403, anonymous 401 (on a project that does not exist)`, async () => {
        const call = (project: string, authorization: string | undefined) =>
          transport === 'rest'
            ? callRest(
                server.baseUrl,
                e.rest[0],
                fill(e.rest[1], project),
                e.rest[2] === undefined ? undefined : fill(e.rest[2], project),
                authorization,
              )
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
