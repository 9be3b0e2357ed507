import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { grpcClients } from '../support/rpc-matrix';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { ATTESTD_BIN as BIN } from '../support/run-attestd';

const NOTE = { attestation: { hint: { humanReadableName: 'x' } } };

interface Verification {
  intact: boolean;
  events: string;
  headSeq: string;
  headHash: string;
  anchors: number;
  pendingEvents: string;
  problems: Array<{ seq: string; eventId: string; message: string }>;
  verifyTime: string;
}

describe('audit chain verification through the API', function () {
  this.timeout(120000);
  let server: TestServer;
  let dataDir: string;
  let db: Knex;
  let clients: Map<string, grpc.Client>;
  const admin = testToken({ '*': ['admin'] }, 'alice');
  const viewer = testToken({ v1: ['viewer'] }, 'val');

  const rest = async (project: string, token = admin) => {
    const res = await fetch(`${server.baseUrl}/v1/projects/${project}/auditEvents:verify`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Verification & { error?: { message: string } } };
  };
  const viaGrpc = (project: string) =>
    new Promise<Verification>((resolve, reject) => {
      const client = clients.get('attestd.v1.AuditEvents') as unknown as Record<
        string,
        (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, v: Verification) => void) => void
      >;
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${admin}`);
      client.VerifyAuditChain!.call(client, { parent: `projects/${project}` }, md, { deadline: Date.now() + 20000 }, (e, v) =>
        e ? reject(e) : resolve(v),
      );
    });
  const cli = (...args: string[]) => cliAs(admin, ...args);
  const cliAs = (token: string, ...args: string[]) =>
    promisify(execFile)(process.execPath, [BIN, 'audit', 'verify', '--server', server.baseUrl, ...args], {
      env: { ...process.env, ATTESTD_TOKEN: token, DATABASE_URL: '', DATA_DIR: os.tmpdir() },
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${server.baseUrl}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).to.equal(200);
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-verify-api-'));
    server = await startTestServer({ env: { DATA_DIR: dataDir } });
    db = knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 2 } });
    clients = grpcClients(server.grpcAddress);
    for (const p of ['v1', 'v2']) await post('/v1/projects', { name: `projects/${p}` });
    for (let i = 0; i < 4; i++) await post(`/v1/projects/v1/notes?noteId=n${i}`, NOTE);
  });
  after(async () => {
    for (const c of clients?.values() ?? []) c.close();
    await db?.destroy();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports an intact chain with its head over REST and gRPC alike, to readers of the project only', async () => {
    const { status, body } = await rest('v1', viewer);
    expect(status).to.equal(200);
    // The project's creation and four notes.
    expect(body).to.include({ intact: true, events: '5', headSeq: '5', pendingEvents: '0' });
    expect(body.headHash).to.match(/^[0-9a-f]{64}$/);
    expect(body.problems).to.deep.equal([]);
    const g = await viaGrpc('v1');
    expect(g).to.include({ intact: true, headHash: body.headHash });
    expect(String(g.events)).to.equal('5');
    expect((await rest('no-such-project')).body).to.include({ intact: true, events: '0', headSeq: '0' });
    const ok = await cli();
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.match(/^ok: 2 chain\(s\), \d+ event\(s\) verified/m);

    const refused = await rest('v2', viewer);
    expect(refused.status).to.equal(403);
    expect(refused.body.error!.message).to.match(/auditEvents\.list/);
    expect((await rest('-', viewer)).status).to.equal(403);
    const cliRefused = await cliAs(viewer, '--project', 'v2');
    expect(cliRefused.code).to.equal(1);
    expect(cliRefused.out).to.match(/PERMISSION_DENIED/);
  });

  it('names the modified event, and (after the head is rewritten) the anchored event that is missing', async () => {
    await db.raw("UPDATE audit_events SET actor = 'mallory' WHERE project_id = 'v1' AND seq = 3");
    const { body } = await rest('v1');
    expect(body.intact).to.equal(false);
    expect(body.events).to.equal('2');
    expect(body.problems).to.have.length(1);
    expect(body.problems[0]!.seq).to.equal('3');
    expect(body.problems[0]!.eventId).to.match(/^[0-9a-f-]{36}$/);
    expect(body.problems[0]!.message).to.match(/event 3 was modified/);
    const broken = await cli('--project', 'v1');
    expect(broken.code).to.equal(1);
    expect(broken.out).to.match(/BROKEN project v1 event 3 \(.*\): event 3 was modified/);
    expect(broken.out).to.match(/FAILED: 1 chain\(s\)/);
    await db.raw("UPDATE audit_events SET actor = 'alice' WHERE project_id = 'v1' AND seq = 3");
    expect((await rest('v1')).body.intact).to.equal(true);

    await server.stop(); // anchors the heads in DATA_DIR
    server = await startTestServer({ env: { DATA_DIR: dataDir }, databaseUrl: server.databaseUrl });
    for (const c of clients.values()) c.close();
    clients = grpcClients(server.grpcAddress);
    const before = await rest('v1');
    expect(before.body).to.include({ intact: true });
    expect(before.body.anchors).to.be.greaterThan(0);

    const newest = Number(before.body.headSeq);
    await db('audit_events').where({ project_id: 'v1', seq: newest }).delete();
    const prev = await db('audit_events')
      .where({ project_id: 'v1', seq: newest - 1 })
      .first('hash');
    await db('audit_chain_heads')
      .where({ project_id: 'v1' })
      .update({ seq: newest - 1, hash: prev.hash });
    const after = await rest('v1');
    expect(after.body.intact).to.equal(false);
    expect(after.body.problems[0]!.message).to.match(/anchored event \d+ .*missing/);
    expect((await cli('--project', 'v1')).code).to.equal(1);
  });

  it('refuses --anchors with --server, and a missing token, as usage errors', async () => {
    const r = await cli('--anchors', '/tmp/x');
    expect(r.code).to.equal(2);
    expect(r.out).to.match(/with --server the server checks its own anchor log/);
    const none = await cliAs('');
    expect(none.code).to.equal(2);
    expect(none.out).to.match(/no token: pass --token T or set ATTESTD_TOKEN/);
  });
});
