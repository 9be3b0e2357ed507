import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { callGrpc, callRest, grpcClients, type Outcome } from '../support/rpc-matrix';
import { startTestServer, testToken, type TestServer } from '../support/test-server';

type SecurityEvent = { projectId: string; actor: string; method: string; resource: string; code: string; transport: string; count: number };

const FIELDS = ['projectId', 'actor', 'method', 'resource', 'code', 'transport'] as const;

/** A unary call with raw request bytes (to send a message the server cannot decode). */
function rawUnary(address: string, path: string, body: Buffer, authorization?: string): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (authorization) md.set('authorization', authorization);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      md,
      { deadline: Date.now() + 10000 },
      (err) => {
        client.close();
        resolve({ code: err?.code ?? grpc.status.OK, details: err?.details ?? '' });
      },
    );
  });
}

// Both transports authenticate once per request and report every refusal (401 and 403) through one hook
// into the security event log (which coalesces identical refusals of either transport: each case here differs). The log is read after the server stopped: its last flush and the sequencer
// that chains it ran in the workers' stop order, so every event must be chained by then.
describe('refused calls: one authentication edge per transport, one refusal hook', function () {
  this.timeout(120000);
  let server: TestServer;
  let db: Knex;
  let clients: Map<string, grpc.Client>;
  const admin = `Bearer ${testToken({ '*': ['admin'] }, 'edge-admin')}`;
  const outsider = `Bearer ${testToken({ other: ['viewer'] }, 'edge-outsider')}`;
  const GRAFEAS = 'grafeas.v1.Grafeas';
  const calls: Array<{ desc: string; call: () => Promise<Outcome>; want: string; event: Omit<SecurityEvent, 'count'> }> = [
    {
      desc: 'REST, a bad token',
      call: () => callRest(server.baseUrl, 'GET', '/v1/projects/edge/notes/n1', undefined, 'Bearer garbage'),
      want: 'UNAUTHENTICATED',
      event: {
        projectId: 'edge',
        actor: 'unauthenticated',
        method: 'HTTP GET',
        resource: 'projects/edge/notes/n1',
        code: 'UNAUTHENTICATED',
        transport: 'rest',
      },
    },
    {
      desc: 'REST, no token',
      call: () => callRest(server.baseUrl, 'POST', '/v1/projects/edge/notes?noteId=x', {}, undefined),
      want: 'UNAUTHENTICATED',
      event: {
        projectId: 'edge',
        actor: 'anonymous',
        method: 'HTTP POST',
        resource: 'projects/edge/notes',
        code: 'UNAUTHENTICATED',
        transport: 'rest',
      },
    },
    {
      desc: 'gRPC, a bad token',
      call: () => callGrpc(clients, GRAFEAS, 'GetNote', { name: 'projects/edge/notes/n1' }, 'Bearer garbage'),
      want: 'UNAUTHENTICATED',
      event: {
        projectId: 'edge',
        actor: 'unauthenticated',
        method: 'GetNote',
        resource: 'projects/edge/notes/n1',
        code: 'UNAUTHENTICATED',
        transport: 'grpc',
      },
    },
    {
      desc: 'gRPC, no token',
      call: () => callGrpc(clients, GRAFEAS, 'ListNotes', { parent: 'projects/edge' }, undefined),
      want: 'UNAUTHENTICATED',
      event: {
        projectId: 'edge',
        actor: 'anonymous',
        method: 'ListNotes',
        resource: 'projects/edge',
        code: 'UNAUTHENTICATED',
        transport: 'grpc',
      },
    },
    {
      desc: 'REST, a token without the role',
      call: () => callRest(server.baseUrl, 'GET', '/v1/projects/edge/notes/n1', undefined, outsider),
      want: 'PERMISSION_DENIED',
      event: {
        projectId: 'edge',
        actor: 'edge-outsider',
        method: 'GetNote',
        resource: 'projects/edge/notes/n1',
        code: 'PERMISSION_DENIED',
        transport: 'rest',
      },
    },
    {
      desc: 'gRPC, a token without the role',
      call: () => callGrpc(clients, GRAFEAS, 'GetNote', { name: 'projects/edge/notes/n2' }, outsider),
      want: 'PERMISSION_DENIED',
      event: {
        projectId: 'edge',
        actor: 'edge-outsider',
        method: 'GetNote',
        resource: 'projects/edge/notes/n2',
        code: 'PERMISSION_DENIED',
        transport: 'grpc',
      },
    },
    {
      desc: 'REST, a token without the role, on a project that does not exist',
      call: () => callRest(server.baseUrl, 'DELETE', '/v1/projects/nowhere', undefined, outsider),
      want: 'PERMISSION_DENIED',
      event: {
        projectId: '-',
        actor: 'edge-outsider',
        method: 'DeleteProject',
        resource: 'projects/nowhere',
        code: 'PERMISSION_DENIED',
        transport: 'rest',
      },
    },
  ];

  before(async () => {
    server = await startTestServer();
    db = knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 2 } });
    clients = grpcClients(server.grpcAddress);
    expect((await callRest(server.baseUrl, 'POST', '/v1/projects', { name: 'projects/edge' }, admin)).code).to.equal('OK');
  });
  after(async () => {
    for (const c of clients?.values() ?? []) c.close();
    await db?.destroy();
    await server?.stop();
  });

  it('answers each refusal with its code, on both transports', async () => {
    for (const c of calls) expect((await c.call()).code, c.desc).to.equal(c.want);
  });

  it('REST answers a bad token 401 before routing: also on a path that does not exist', async () => {
    expect((await callRest(server.baseUrl, 'GET', '/v1/projects/edge/widgets', undefined, 'Bearer garbage')).code).to.equal(
      'UNAUTHENTICATED',
    );
    expect((await callRest(server.baseUrl, 'GET', '/v1/projects/edge/widgets', undefined, admin)).code).to.equal('NOT_FOUND');
  });

  it('gRPC answers a bad token 401 before decoding: also for a message it cannot decode', async () => {
    const garbage = Buffer.from([0x0a, 0xff]);
    const path = `/${GRAFEAS}/GetNote`;
    expect((await rawUnary(server.grpcAddress, path, garbage, admin)).code, 'a valid token').to.equal(grpc.status.INVALID_ARGUMENT);
    expect((await rawUnary(server.grpcAddress, path, garbage, 'Bearer garbage')).code).to.equal(grpc.status.UNAUTHENTICATED);
  });

  it('records every refusal once in the security log with its transport, actor, method, resource and code', async () => {
    await server.stop();
    const rows: Array<{ project_id: string; actor: string; method: string; resource: string; details: Record<string, unknown> }> = await db(
      'audit_events',
    )
      .where({ kind: 'security' })
      .select('project_id', 'actor', 'method', 'resource', 'details');
    const pending = await db('audit_pending').count({ n: '*' }).first();
    expect(Number((pending as { n: string }).n), 'every event chained by the time the server stopped').to.equal(0);
    const events: SecurityEvent[] = rows.map((r) => ({
      projectId: r.project_id,
      actor: r.actor,
      method: r.method,
      resource: r.resource,
      code: String(r.details.code),
      transport: String(r.details.transport),
      count: Number(r.details.count),
    }));
    for (const c of calls) {
      const found = events.filter((e) => FIELDS.every((f) => e[f] === c.event[f]));
      expect(found, `${c.desc}: ${JSON.stringify(events)}`).to.have.length(1);
      expect(found[0]!.count, c.desc).to.equal(1);
    }
    const unknownPath = events.filter((e) => e.resource === 'projects/edge/widgets');
    expect(unknownPath.map((e) => [e.method, e.actor, e.code])).to.deep.equal([['HTTP GET', 'unauthenticated', 'UNAUTHENTICATED']]);
    const undecodable = events.filter((e) => e.transport === 'grpc' && e.resource === '');
    expect(undecodable.map((e) => [e.method, e.actor, e.code])).to.deep.equal([['GetNote', 'unauthenticated', 'UNAUTHENTICATED']]);
    expect(
      events.filter((e) => e.actor === 'edge-admin'),
      'the admin was never refused',
    ).to.deep.equal([]);
  });
});

describe('/metrics with METRICS_PUBLIC=false: behind the same authentication edge', function () {
  this.timeout(60000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ env: { METRICS_PUBLIC: 'false' } });
  });
  after(async () => server?.stop());

  it('answers 401 without a valid token, and the Prometheus text (pool gauges included) with one', async () => {
    for (const authorization of [undefined, 'Bearer garbage']) {
      const res = await fetch(`${server.baseUrl}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status, authorization ?? 'no token').to.equal(401);
      expect(((await res.json()) as { error: { status: string } }).error.status).to.equal('UNAUTHENTICATED');
    }
    const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.match(/^attestd_db_pool_used \d+$/m);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).to.equal(200);
  });
});
