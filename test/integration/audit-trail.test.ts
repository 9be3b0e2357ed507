import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { readAnchors } from '../../src/audit/audit-anchors';
import { SECURITY_FLUSH_MS } from '../../src/audit/security-event-log';
import { verifyAuditChains } from '../../src/audit/audit-verifier';
import { PageTokens } from '../../src/store/page-token';
import { PostgresAuditStore } from '../../src/store/postgres-audit-store';
import { callRest } from '../support/rpc-matrix';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { ATTESTD_BIN as BIN } from '../support/run-attestd';

const NOTE = { attestation: { hint: { humanReadableName: 'x' } } };

describe('audit trail', function () {
  this.timeout(120000);
  let server: TestServer;
  let dataDir: string;
  let db: Knex;
  let store: PostgresAuditStore;
  const admin = `Bearer ${testToken({ '*': ['admin'] }, 'alice')}`;

  const events = async (project: string, filter = '', token = admin) => {
    const q = new URLSearchParams({ filter, pageSize: '1000' });
    const res = await fetch(`${server.baseUrl}/v1/projects/${project}/auditEvents?${q}`, { headers: { authorization: token } });
    expect(res.status, await res.clone().text()).to.equal(200);
    return ((await res.json()) as { auditEvents: Array<Record<string, string>> }).auditEvents;
  };
  const verify = async () => verifyAuditChains(store, readAnchors(path.join(dataDir, 'audit-anchors.log')).anchors);
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [BIN, 'audit', 'verify', ...args], {
      env: { ...process.env, DATABASE_URL: server.databaseUrl, DATA_DIR: dataDir },
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-audit-'));
    server = await startTestServer({ env: { DATA_DIR: dataDir } });
    db = knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 2 } });
    store = new PostgresAuditStore(db, new PageTokens(Buffer.alloc(32)));
    for (const p of ['a1', 'a2', 'a3'])
      expect((await callRest(server.baseUrl, 'POST', '/v1/projects', { name: `projects/${p}` }, admin)).code).to.equal('OK');
  });
  after(async () => {
    await db?.destroy();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('records a successful write exactly once, with actor, method, resource and time', async () => {
    const before = await events('a1');
    expect((await callRest(server.baseUrl, 'POST', '/v1/projects/a1/notes?noteId=n1', NOTE, admin)).code).to.equal('OK');
    const after = await events('a1');
    expect(after).to.have.length(before.length + 1);
    const e = after[after.length - 1]!;
    expect(e).to.include({ actor: 'alice', method: 'CreateNote', resource: 'projects/a1/notes/n1', kind: 'change' });
    expect(Date.now() - Date.parse(e.time!)).to.be.within(0, 60000);
  });

  it('records nothing for failed writes (refused by the store, or rolled back)', async () => {
    const before = await events('a1', 'kind="change"');
    expect((await callRest(server.baseUrl, 'POST', '/v1/projects/a1/notes?noteId=n1', NOTE, admin)).code).to.equal('ALREADY_EXISTS');
    expect((await callRest(server.baseUrl, 'DELETE', '/v1/projects/a1/notes/missing', undefined, admin)).code).to.equal('NOT_FOUND');
    expect(
      (await callRest(server.baseUrl, 'POST', '/v1/projects/a1/notes:batchCreate', { notes: { n1: NOTE, fresh: NOTE } }, admin)).code,
    ).to.equal('ALREADY_EXISTS');
    expect(await events('a1', 'kind="change"')).to.deep.equal(before);
  });

  it('keeps one verifiable chain per project under 50 concurrent writes', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        callRest(server.baseUrl, 'POST', `/v1/projects/${i % 2 ? 'a2' : 'a3'}/notes?noteId=c${i}`, NOTE, admin),
      ),
    );
    expect(results.map((r) => r.code)).to.deep.equal(Array(50).fill('OK'));
    const a2 = await events('a2');
    expect(a2.map((e) => Number(e.seq))).to.deep.equal(a2.map((_, i) => i + 1));
    expect(a2.filter((e) => e.method === 'CreateNote')).to.have.length(25);
    const report = await verify();
    expect(report.problems).to.deep.equal([]);
    expect((await cli()).code).to.equal(0);
  });

  it('lets a viewer browse with filter and paging, and refuses a viewer of another project', async () => {
    const viewer = `Bearer ${testToken({ a2: ['viewer'] }, 'auditor')}`;
    const page1 = await fetch(
      `${server.baseUrl}/v1/projects/a2/auditEvents?pageSize=10&filter=${encodeURIComponent('method="CreateNote" AND actor="alice"')}`,
      { headers: { authorization: viewer } },
    );
    const body1 = (await page1.json()) as { auditEvents: unknown[]; nextPageToken: string };
    expect(body1.auditEvents).to.have.length(10);
    expect(body1.nextPageToken).to.not.equal('');
    const filter = encodeURIComponent('method="CreateNote" AND actor="alice"');
    const page3 = await fetch(
      `${server.baseUrl}/v1/projects/a2/auditEvents?pageSize=10&pageToken=${body1.nextPageToken}&filter=${filter}`,
      {
        headers: { authorization: viewer },
      },
    );
    expect(((await page3.json()) as { auditEvents: unknown[] }).auditEvents).to.have.length(10);
    expect(await events('a2', 'time >= "2000-01-01T00:00:00Z" AND resource:"notes/c1"', viewer)).to.not.have.lengthOf(0);
    expect((await callRest(server.baseUrl, 'GET', '/v1/projects/a3/auditEvents', undefined, viewer)).code).to.equal('PERMISSION_DENIED');
  });

  it('records refused calls as coalesced security events', async () => {
    const nobody = `Bearer ${testToken({ a1: ['viewer'] }, 'mallory')}`;
    const started = Date.now();
    for (let i = 0; i < 20; i++)
      expect((await callRest(server.baseUrl, 'POST', '/v1/projects/a1/notes?noteId=x', NOTE, nobody)).code).to.equal('PERMISSION_DENIED');
    for (let i = 0; i < 20; i++)
      expect((await callRest(server.baseUrl, 'GET', '/v1/projects/a1/notes', undefined, 'Bearer garbage')).code).to.equal(
        'UNAUTHENTICATED',
      );
    // Each flush interval the calls spanned writes at most one event per kind of refusal, with its count.
    const intervals = Math.floor((Date.now() - started) / SECURITY_FLUSH_MS) + 2;
    const counted = (list: Array<Record<string, unknown>>) => list.reduce((n, e) => n + Number((e.details as { count: number }).count), 0);
    let security: Array<Record<string, unknown>> = [];
    for (let tries = 0; tries < 60; tries++) {
      security = await events('a1', 'kind="security"');
      const done = ['mallory', 'unauthenticated'].every((actor) => counted(security.filter((e) => e.actor === actor)) >= 20);
      if (done) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const denied = security.filter((e) => e.actor === 'mallory');
    expect(counted(denied)).to.equal(20);
    expect(denied.length).to.be.within(1, intervals);
    for (const e of denied) {
      expect(e).to.include({ method: 'CreateNote', resource: 'projects/a1' });
      expect(e.details).to.include({ code: 'PERMISSION_DENIED' });
    }
    const unauth = security.filter((e) => e.actor === 'unauthenticated');
    expect(counted(unauth)).to.equal(20);
    expect(unauth.length).to.be.within(1, intervals);
  });

  it('detects a modified event and a deleted newest event (also when the head is rewritten, via the anchors)', async () => {
    await server.stop(); // writes the anchors
    server = await startTestServer({ env: { DATA_DIR: dataDir }, databaseUrl: server.databaseUrl });
    expect((await verify()).problems).to.deep.equal([]);

    await db.raw("UPDATE audit_events SET actor = 'someone-else' WHERE project_id = 'a3' AND seq = 3");
    let report = await verify();
    expect(report.problems).to.have.length(1);
    expect(report.problems[0]).to.include({ projectId: 'a3', seq: 3 });
    expect(report.problems[0]!.message).to.match(/modified/);
    const broken = await cli();
    expect(broken.code).to.equal(1);
    expect(broken.out).to.match(/project a3 event 3/);
    await db.raw("UPDATE audit_events SET actor = 'alice' WHERE project_id = 'a3' AND seq = 3");
    expect((await verify()).problems).to.deep.equal([]);

    const newest = Number((await db('audit_events').where({ project_id: 'a2' }).max('seq as m').first())!.m);
    await db('audit_events').where({ project_id: 'a2', seq: newest }).delete();
    report = await verify();
    expect(report.problems).to.have.length(1);
    expect(report.problems[0]).to.include({ projectId: 'a2', seq: newest });
    expect(report.problems[0]!.message).to.match(/deleted/);

    // Rewrite the head to match the shortened chain: only the anchor outside the database still tells.
    const prev = await db('audit_events')
      .where({ project_id: 'a2', seq: newest - 1 })
      .first('hash');
    await db('audit_chain_heads')
      .where({ project_id: 'a2' })
      .update({ seq: newest - 1, hash: prev.hash });
    report = await verify();
    expect(report.problems).to.have.length(1);
    expect(report.problems[0]!.message).to.match(/anchored event \d+ .*missing/);
    expect((await cli()).code).to.equal(1);
  });
});
