import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { hooksCommand } from '../../src/cli/hooks-command';
import { callGrpc, grpcClients } from '../support/rpc-matrix';
import type { LooseJson } from '../support/loose-json';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { call, ok, poll, setUpSigning } from './registry-support';

// Retrying failed registry signings against a real attestd (its hook worker signs): automatically when the
// witness's key is enabled again, by hand (REST, gRPC, CLI) once the missing witness exists again.

const P = 'retry';
const KEY = `projects/${P}/keys/signer`;
const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const image = (ns: string, c: string): string => `127.0.0.1:5000/${ns}/app@${digest(c)}`;

describe('retrying failed hook signings', function () {
  this.timeout(120_000);
  let server: TestServer;
  let clients: Map<string, grpc.Client>;
  let admin: string;
  let attestor: string;

  before(async () => {
    server = await startTestServer();
    clients = grpcClients(server.grpcAddress);
    admin = server.adminToken;
    attestor = testToken({ [P]: ['attestor'] }, 'ci-pusher');
    await setUpSigning(server.baseUrl, admin, { project: P, witness: 'w', rule: 'demo', namespace: 'demo' });
  });
  after(async () => {
    for (const c of clients?.values() ?? []) c.close();
    await server?.stop();
  });

  const push = async (img: string): Promise<LooseJson> => {
    const res = await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/generic`, { images: [img] });
    return res.events[0];
  };
  const event = async (name: string): Promise<LooseJson> => {
    const list = await ok(server.baseUrl, admin, 'GET', `/v1/projects/${P}/hookEvents?pageSize=1000`);
    return (list.hookEvents as LooseJson[]).find((e) => e.name === name)!;
  };
  const until = (name: string, status: string, extra: (e: LooseJson) => boolean = () => true): Promise<LooseJson> =>
    poll(`${name} ${status}`, 60_000, async () => {
      const e = await event(name);
      return e.status === status && extra(e) ? e : undefined;
    });
  const auditMethods = async (method: string): Promise<LooseJson[]> => {
    const q = encodeURIComponent(`method="${method}"`);
    return (await ok(server.baseUrl, admin, 'GET', `/v1/projects/${P}/auditEvents?pageSize=1000&filter=${q}`)).auditEvents ?? [];
  };

  it('a signing that failed because the key was disabled is signed once the key is enabled again', async () => {
    await ok(server.baseUrl, admin, 'POST', `/v1/${KEY}:disable`, {});
    const queued = await push(image('demo', 'a'));
    const failed = await until(queued.name, 'FAILED');
    expect(failed.reason).to.contain(`${KEY} is DISABLED`).and.to.contain(`retried when ${KEY} is enabled again`);
    expect(failed.attempts).to.equal(1);
    await ok(server.baseUrl, admin, 'POST', `/v1/${KEY}:enable`, {});
    const signed = await until(queued.name, 'SIGNED');
    expect(signed.occurrence).to.match(new RegExp(`^projects/${P}/occurrences/`));
    expect(signed.reason).to.equal('');
  });

  it('a signing whose witness went missing is retried by hand (REST, gRPC, CLI), idempotently and audited', async () => {
    // A second rule and witness; the key is disabled so that the push fails and waits while the witness is removed.
    await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/witnesses?witnessId=w2`, { key: KEY });
    await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/signingRules?ruleId=other`, {
      registry: '127.0.0.1:5000',
      namespace: 'other',
      witness: `projects/${P}/witnesses/w2`,
      enabled: true,
    });
    await ok(server.baseUrl, admin, 'POST', `/v1/${KEY}:disable`, {});
    const queued = await push(image('other', 'b'));
    await until(queued.name, 'FAILED');
    await ok(server.baseUrl, admin, 'DELETE', `/v1/projects/${P}/signingRules/other`);
    await ok(server.baseUrl, admin, 'DELETE', `/v1/projects/${P}/witnesses/w2`);
    // Enabling the key retries it by itself; now the witness is missing, and nothing retries it again by itself.
    await ok(server.baseUrl, admin, 'POST', `/v1/${KEY}:enable`, {});
    const missing = await until(queued.name, 'FAILED', (e) => String(e.reason).startsWith('NOT_FOUND'));
    expect(missing.reason).to.contain('w2').and.not.to.contain('retried when');

    // REST retry while the witness is still missing: PENDING again, then FAILED again.
    const before = (await auditMethods('RetryHookEvent')).length;
    const pending = await ok(server.baseUrl, attestor, 'POST', `/v1/${queued.name}:retry`, {});
    expect(pending).to.include({ name: queued.name, status: 'PENDING', attempts: 0, reason: '' });
    await until(queued.name, 'FAILED', (e) => String(e.reason).startsWith('NOT_FOUND'));

    // The witness exists again: a gRPC retry signs it.
    await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/witnesses?witnessId=w2`, { key: KEY });
    const viaGrpc = await new Promise<LooseJson>((resolve, reject) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${attestor}`);
      const client = clients.get('attestd.v1.Hooks') as unknown as Record<string, (...a: unknown[]) => void>;
      client.RetryHookEvent!.call(client, { name: queued.name }, metadata, (err: Error | null, res: LooseJson) =>
        err ? reject(err) : resolve(res),
      );
    });
    expect(viaGrpc).to.include({ name: queued.name, status: 'PENDING' });
    const signed = await until(queued.name, 'SIGNED');

    // Retrying a SIGNED event changes nothing and records nothing.
    const again = await ok(server.baseUrl, attestor, 'POST', `/v1/${queued.name}:retry`, {});
    expect(again).to.include({ status: 'SIGNED', occurrence: signed.occurrence });
    const retries = await auditMethods('RetryHookEvent');
    expect(retries.length - before).to.equal(2);
    expect(retries.map((e) => [e.resource, e.actor])).to.deep.include([queued.name, 'ci-pusher']);

    // The CLI lists events and retries one.
    let out = '';
    let err = '';
    const io = {
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (err += t) },
      env: { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: attestor, ATTESTD_PROJECT: P },
    };
    expect(await hooksCommand(['events', '--filter', 'status = "SIGNED"', '--output', 'text'], io), err).to.equal(0);
    expect(out).to.match(new RegExp(`${queued.name.split('/').pop()}\\s+SIGNED\\s+127\\.0\\.0\\.1:5000/other/app@`));
    out = '';
    expect(await hooksCommand(['retry', queued.name.split('/').pop()!], io), err).to.equal(0);
    expect(JSON.parse(out)).to.include({ name: queued.name, status: 'SIGNED' });
  });

  it('refuses what cannot be retried, saying why', async () => {
    const ignored = (await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/generic`, { images: [image('nobody', 'c')] }))
      .events[0];
    expect(ignored.status).to.equal('IGNORED');
    const r = await call(server.baseUrl, attestor, 'POST', `/v1/${ignored.name}:retry`, {});
    expect(r.status).to.equal(400);
    expect(r.body.error.status).to.equal('FAILED_PRECONDITION');
    expect(r.body.error.message).to.contain('IGNORED').and.to.contain('no enabled signing rule covers');
    const absent = await call(
      server.baseUrl,
      attestor,
      'POST',
      `/v1/projects/${P}/hookEvents/00000000-0000-4000-8000-000000000000:retry`,
      {},
    );
    expect(absent.status).to.equal(404);
    const bad = await callGrpc(clients, 'attestd.v1.Hooks', 'RetryHookEvent', { name: `projects/${P}/hookEvents/x` }, `Bearer ${attestor}`);
    expect(bad.code).to.equal('INVALID_ARGUMENT');
    expect(bad.message).to.contain('UUID');
    const viewer = testToken({ [P]: ['viewer'] }, 'a-viewer');
    const denied = await call(server.baseUrl, viewer, 'POST', `/v1/${ignored.name}:retry`, {});
    expect(denied.status).to.equal(403);
  });
});
