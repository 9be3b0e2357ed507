import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/main';
import { grpcClient } from '../support/grpc-clients';
import { callGrpc } from '../support/rpc-matrix';
import { defaultBackend } from '../support/test-database';
import { TEST_JWT_SECRET, testToken } from '../support/test-server';

type Line = Record<string, unknown>;

async function serve(env: Record<string, string>): Promise<{ server: RunningServer; lines: Line[]; raw: () => string }> {
  const lines: Line[] = [];
  let raw = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString('utf8');
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const config = loadConfig({
    DATABASE_URL: await defaultBackend().createDatabase(),
    HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    SHUTDOWN_GRACE_MS: '2000',
    JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  const server = await startServer(config, createLogger('info', sink));
  return { server, lines, raw: () => raw };
}

describe('ACCESS_LOG=true: one pino line per request (method, route, status, duration, actor — never the token)', function () {
  this.timeout(60_000);

  it('logs REST requests and gRPC calls once each, with the route pattern and the subject, and no token', async () => {
    const { server, lines, raw } = await serve({ ACCESS_LOG: 'true' });
    const grpcProjects = grpcClient(`127.0.0.1:${server.grpcPort}`, 'attestd.v1.Projects');
    try {
      const base = `http://127.0.0.1:${server.httpPort}`;
      const token = testToken({ '*': ['admin'] }, 'alice');
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      expect((await fetch(`${base}/v1/projects`, { method: 'POST', headers: auth, body: '{"name":"projects/acc"}' })).status).to.equal(200);
      expect((await fetch(`${base}/v1/projects/acc`, { headers: auth })).status).to.equal(200);
      expect((await fetch(`${base}/v1/projects/acc`, { headers: { authorization: 'Bearer forged.token.here' } })).status).to.equal(401);
      expect((await fetch(`${base}/healthz`)).status).to.equal(200);
      const clients = new Map([['attestd.v1.Projects', grpcProjects]]);
      expect((await callGrpc(clients, 'attestd.v1.Projects', 'GetProject', { name: 'projects/acc' }, `Bearer ${token}`)).code).to.equal(
        'OK',
      );
      await new Promise((r) => setTimeout(r, 200));
      const requests = lines.filter((l) => l.msg === 'request');
      const shown = requests.map((l) => [l.transport, l.method, l.route, l.rpc, l.status, l.actor]);
      expect(shown).to.deep.equal([
        ['rest', 'POST', '/v1/projects', 'CreateProject', 200, 'alice'],
        ['rest', 'GET', '/v1/projects/:v0', 'GetProject', 200, 'alice'],
        ['rest', 'GET', 'unmatched', undefined, 401, 'anonymous'],
        ['rest', 'GET', '/healthz', undefined, 200, 'anonymous'],
        ['grpc', 'POST', '/attestd.v1.Projects/GetProject', 'GetProject', 'OK', 'alice'],
      ]);
      for (const l of requests) {
        expect(l.log).to.equal('access');
        expect(l.durationMs).to.be.a('number').and.to.be.at.least(0);
        expect(l.requestId).to.be.a('string').and.not.equal('');
      }
      expect(raw()).not.to.contain(token);
      expect(raw()).not.to.contain('forged.token.here');
    } finally {
      grpcProjects.close();
      await server.stop();
    }
  });

  it('logs no request lines without ACCESS_LOG', async () => {
    const { server, lines } = await serve({});
    try {
      await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
      expect(lines.filter((l) => l.msg === 'request')).to.deep.equal([]);
    } finally {
      await server.stop();
    }
  });
});
