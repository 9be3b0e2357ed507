import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { PassThrough } from 'node:stream';
import { mintToken } from '../../src/auth/token-secrets';
import { tokenCommand } from '../../src/cli/token-command';
import { ReplicaProcess } from '../support/replica-process';
import { restCall } from '../support/rest-call';
import { callGrpc, grpcClients } from '../support/rpc-matrix';
import { defaultBackend } from '../support/test-database';
import { startTestServer, TEST_JWT_SECRET, testToken, type TestServer } from '../support/test-server';
import { untilTrue } from '../support/until';

const T = 'attestd.v1.Tokens';
const P = 'attestd.v1.Projects';

/** A token minted as `attestd token create` mints it (with a jti), and that jti. */
function minted(subject: string, roles: Record<string, string[]> = { '*': ['viewer'] }): { token: string; jti: string } {
  const token = mintToken({ secret: TEST_JWT_SECRET, subject, roles, ttlSeconds: 3600, audience: 'attestd' });
  return { token, jti: (jwt.decode(token) as { jti: string }).jti };
}

describe('token lifecycle: recorded on first use, revoked everywhere', function () {
  this.timeout(180000);

  describe('one server, REST and gRPC', () => {
    let server: TestServer;
    let clients: Map<string, grpc.Client>;

    before(async () => {
      server = await startTestServer();
      clients = grpcClients(server.grpcAddress);
    });
    after(async () => {
      for (const c of clients?.values() ?? []) c.close();
      await server?.stop();
    });

    it('lists a token once it was used: jti, subject, grants, times and state, never the token itself', async () => {
      const { token, jti } = minted('ci-viewer', { p1: ['viewer', 'attestor'] });
      expect((await restCall(server.baseUrl, token, 'GET', '/v1/projects')).status).to.equal(200);
      let listed: Record<string, unknown> | undefined;
      await untilTrue('the token to be listed', async () => {
        const r = await restCall(server.baseUrl, server.adminToken, 'GET', '/v1/tokens');
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        expect(JSON.stringify(r.body)).to.not.include(token.split('.')[2]);
        listed = (r.body as { tokens?: Record<string, unknown>[] }).tokens?.find((t) => t.jti === jti);
        return listed !== undefined;
      });
      expect(listed).to.include({ name: `tokens/${jti}`, subject: 'ci-viewer', state: 'ACTIVE' });
      expect(listed!.grants).to.deep.equal([{ project: 'p1', roles: ['viewer', 'attestor'] }]);
      expect(Date.parse(String(listed!.expireTime)) - Date.parse(String(listed!.issueTime))).to.equal(3600_000);
      const one = await restCall(server.baseUrl, server.adminToken, 'GET', `/v1/tokens/${jti}`);
      expect(one.body).to.deep.include({ jti, subject: 'ci-viewer' });
    });

    for (const transport of ['rest', 'grpc'] as const) {
      it(`${transport}: a revoked token is refused with 401 saying it was revoked, on both transports`, async () => {
        const { token, jti } = minted(`revoked-${transport}`);
        const listProjects = (via: 'rest' | 'grpc') =>
          via === 'rest'
            ? restCall(server.baseUrl, token, 'GET', '/v1/projects').then((r) => ({
                code: r.status === 200 ? 'OK' : (r.body as { error: { status: string } }).error.status,
                status: r.status,
                message: r.status === 200 ? '' : (r.body as { error: { message: string } }).error.message,
              }))
            : callGrpc(clients, P, 'ListProjects', {}, `Bearer ${token}`).then((o) => ({ ...o, status: 0 }));
        expect((await listProjects('rest')).code).to.equal('OK');
        expect((await listProjects('grpc')).code).to.equal('OK');

        if (transport === 'rest') {
          const r = await restCall(server.baseUrl, server.adminToken, 'POST', `/v1/tokens/${jti}:revoke`, {});
          expect(r.status, JSON.stringify(r.body)).to.equal(200);
          expect(r.body).to.deep.include({ jti, state: 'REVOKED', revokedBy: 'test-admin' });
        } else {
          const o = await callGrpc(clients, T, 'RevokeToken', { name: `tokens/${jti}` }, `Bearer ${server.adminToken}`);
          expect(o.code, o.message).to.equal('OK');
        }

        for (const via of ['rest', 'grpc'] as const) {
          const refused = await listProjects(via);
          expect(refused.code, via).to.equal('UNAUTHENTICATED');
          if (via === 'rest') expect(refused.status).to.equal(401);
          expect(refused.message).to.match(new RegExp(`bearer token \\(jti ${jti}\\) was revoked at \\d{4}-`));
        }
        // Revoking again answers the first revocation.
        const again = await restCall(server.baseUrl, server.adminToken, 'POST', `/v1/tokens/${jti}:revoke`, {});
        expect(again.status).to.equal(200);
        expect((again.body as { state: string }).state).to.equal('REVOKED');
      });
    }

    it('revokes a jti attestd has never seen: the token is refused at its first use', async () => {
      const { token, jti } = minted('never-used');
      const r = await restCall(server.baseUrl, server.adminToken, 'POST', `/v1/tokens/${jti}:revoke`, {});
      expect(r.body).to.deep.include({ jti, subject: '', state: 'REVOKED' });
      expect((await restCall(server.baseUrl, token, 'GET', '/v1/projects')).status).to.equal(401);
    });

    it('takes admin on every project: a project admin, an attestor and anonymous callers are refused', async () => {
      const { jti } = minted('victim');
      const cases: Array<{ who: string; auth: string | undefined; code: string }> = [
        { who: 'anonymous', auth: undefined, code: 'UNAUTHENTICATED' },
        { who: 'admin of p1 only', auth: `Bearer ${testToken({ p1: ['admin'] }, 'p1-admin')}`, code: 'PERMISSION_DENIED' },
        { who: 'attestor on *', auth: `Bearer ${testToken({ '*': ['attestor'] }, 'attestor')}`, code: 'PERMISSION_DENIED' },
      ];
      for (const c of cases) {
        for (const [rpc, request] of [
          ['RevokeToken', { name: `tokens/${jti}` }],
          ['ListTokens', {}],
          ['GetToken', { name: `tokens/${jti}` }],
        ] as const) {
          const o = await callGrpc(clients, T, rpc, request, c.auth);
          expect(o.code, `${c.who} ${rpc}: ${o.message}`).to.equal(c.code);
        }
        const rest = await restCall(server.baseUrl, c.auth?.slice('Bearer '.length), 'POST', `/v1/tokens/${jti}:revoke`, {});
        expect(rest.status, c.who).to.equal(c.code === 'UNAUTHENTICATED' ? 401 : 403);
      }
    });

    it('answers a name that is not a jti with INVALID_ARGUMENT and an unknown one with NOT_FOUND', async () => {
      const bad = await callGrpc(clients, T, 'RevokeToken', { name: 'tokens/a b' }, `Bearer ${server.adminToken}`);
      expect(bad.code).to.equal('INVALID_ARGUMENT');
      expect(bad.message).to.match(/tokens\/\{jti\}/);
      const missing = await restCall(server.baseUrl, server.adminToken, 'GET', '/v1/tokens/no-such-jti');
      expect(missing.status).to.equal(404);
    });

    it('attestd token list and token revoke JTI work against the server', async () => {
      const { token, jti } = minted('cli-victim');
      expect((await restCall(server.baseUrl, token, 'GET', '/v1/projects')).status).to.equal(200);
      const run = async (...argv: string[]) => {
        const out = new PassThrough();
        const err = new PassThrough();
        let text = '';
        out.on('data', (d: Buffer) => (text += d.toString()));
        let errors = '';
        err.on('data', (d: Buffer) => (errors += d.toString()));
        const code = await tokenCommand([...argv, '--server', server.baseUrl, '--token', server.adminToken], out, err);
        return { code, text, errors };
      };
      await untilTrue('the token in `attestd tokens list`', async () => (await run('list', '--output', 'text')).text.includes(jti));
      const listed = await run('list', '--output', 'text');
      expect(listed.text).to.match(/^JTI\s+SUBJECT\s+ROLES\s+EXPIRES\s+STATE/);
      expect(listed.text).to.match(new RegExp(`${jti}\\s+cli-victim\\s+\\*:viewer\\s+\\S+\\s+ACTIVE`));
      const revoked = await run('revoke', jti);
      expect(revoked.code, revoked.errors).to.equal(0);
      expect(JSON.parse(revoked.text)).to.include({ jti, state: 'REVOKED' });
      expect((await restCall(server.baseUrl, token, 'GET', '/v1/projects')).status).to.equal(401);
      const bad = await run('revoke', 'not a jti');
      expect(bad.code).to.equal(2);
      expect(bad.errors).to.match(/not a token id/);
    });

    it('audits each revocation with the revoking subject', async () => {
      const { jti } = minted('audited');
      await restCall(server.baseUrl, server.adminToken, 'POST', `/v1/tokens/${jti}:revoke`, {});
      await untilTrue('the RevokeToken audit event', async () => {
        const r = await restCall(server.baseUrl, server.adminToken, 'GET', '/v1/projects/-/auditEvents', undefined);
        const events = (r.body as { auditEvents?: Array<Record<string, string>> }).auditEvents ?? [];
        return events.some((e) => e.method === 'RevokeToken' && e.resource === `tokens/${jti}` && e.actor === 'test-admin');
      });
    });
  });

  describe('two attestd processes on one database', () => {
    let a: ReplicaProcess;
    let b: ReplicaProcess;
    let dir: string;
    let ports: { a: number; b: number };

    before(async () => {
      const databaseUrl = await defaultBackend().createDatabase();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-revocation-'));
      // Replica a serves with two workers: a revocation must reach the worker that did not make it at once.
      a = new ReplicaProcess({ DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'a'), WORKERS: '2' });
      const first = await a.ready; // migrates the database before the second starts
      b = new ReplicaProcess({ DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'b') });
      ports = { a: first.httpPort, b: (await b.ready).httpPort };
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a token revoked on one replica is refused by the other within seconds, without a restart', async () => {
      const url = (port: number) => `http://127.0.0.1:${port}`;
      const { token, jti } = minted('replicated');
      expect((await restCall(url(ports.b), token, 'GET', '/v1/projects')).status).to.equal(200);
      const r = await restCall(url(ports.a), testToken(), 'POST', `/v1/tokens/${jti}:revoke`, {});
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      // Connections go round-robin to a's workers: each of them refuses the token at once.
      for (let i = 0; i < 4; i++) expect((await restCall(url(ports.a), token, 'GET', '/v1/projects')).status).to.equal(401);
      let last = await restCall(url(ports.b), token, 'GET', '/v1/projects');
      await untilTrue('replica b to refuse the revoked token', async () => {
        last = await restCall(url(ports.b), token, 'GET', '/v1/projects');
        return last.status !== 200;
      });
      expect(last.status).to.equal(401);
      expect(JSON.stringify(last.body)).to.match(/was revoked at/);
    });
  });
});
