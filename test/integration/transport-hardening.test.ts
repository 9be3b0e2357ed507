import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startServer } from '../../src/main';
import { startTestServer, testToken, type TestServer } from '../support/test-server';

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };
type GrpcReply = { code: number; details: string; trailers: grpc.Metadata };

/** One raw HTTP(S) request with a path sent as given (no URL normalisation) and optional CA. */
function request(url: string, opts: { path?: string; headers?: Record<string, string>; ca?: Buffer } = {}): Promise<Reply> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      { host: u.hostname, port: u.port, path: opts.path ?? u.pathname, method: 'GET', headers: opts.headers, ca: opts.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A unary call with raw bytes (by default an empty request), resolving code and trailers. */
function unary(
  address: string,
  creds: grpc.ChannelCredentials,
  method: string,
  token?: string,
  message = Buffer.alloc(0),
): Promise<GrpcReply> {
  // TLS channels name the certificate's DNS name, not the IP (an IP is not a valid TLS server name).
  const client = new grpc.Client(address, creds, creds._isSecure() ? { 'grpc.ssl_target_name_override': 'localhost' } : {});
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    const call = client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      message,
      md,
      { deadline: Date.now() + 10000 },
      () => undefined,
    );
    // 'status' follows the callback and carries the trailers on success and failure alike.
    call.on('status', (s: grpc.StatusObject) => {
      client.close();
      resolve({ code: s.code, details: s.details, trailers: s.metadata });
    });
  });
}

const LIST_PROJECTS = '/attestd.v1.Projects/ListProjects';
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';

function googleBody(r: Reply): { code: number; status: string; message: string; details: Array<{ requestId?: string }> } {
  expect(r.headers['content-type'], r.body).to.match(/^application\/json/);
  return (JSON.parse(r.body) as { error: ReturnType<typeof googleBody> }).error;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA, a self-signed server certificate for 127.0.0.1/localhost, and client certificates (one from another CA). */
function makeCertificates(dir: string): Record<string, string> {
  const f = (name: string): string => path.join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('server.key'),
    '-out',
    f('server.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  for (const ca of ['ca', 'rogue-ca']) {
    ssl('req', '-x509', ...ec, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.crt`), '-days', '1', '-subj', `/CN=attestd test ${ca}`);
  }
  for (const [client, ca] of [
    ['client', 'ca'],
    ['rogue-client', 'rogue-ca'],
  ]) {
    ssl('req', '-new', ...ec, '-keyout', f(`${client}.key`), '-out', f(`${client}.csr`), '-subj', `/CN=${client}`);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${client}.csr`),
      '-CA',
      f(`${ca}.crt`),
      '-CAkey',
      f(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      f(`${client}.crt`),
      '-days',
      '1',
    );
  }
  // A key that belongs to no certificate here, for the mismatch check.
  ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', f('other.key'));
  return Object.fromEntries(fs.readdirSync(dir).map((n) => [n, f(n)]));
}

describe('transport hardening: TLS, client certificates, security headers, rate limits, malformed requests', function () {
  this.timeout(60000);

  describe('TLS', function () {
    let dir: string;
    let files: Record<string, string>;
    let pem: (name: string) => Buffer;
    let tlsServer: TestServer;
    let mtlsServer: TestServer;

    before(async function () {
      if (!hasOpenssl()) {
        if (process.env.CI === 'true') throw new Error('openssl is required for the TLS tests under CI');
        console.warn('\n  !!! SKIPPING TLS tests: no openssl on PATH !!!\n');
        this.skip();
      }
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-tls-'));
      files = makeCertificates(dir);
      pem = (name) => fs.readFileSync(files[name]!);
      const tlsEnv = { TLS_CERT_FILE: files['server.crt']!, TLS_KEY_FILE: files['server.key']! };
      tlsServer = await startTestServer({ env: { DATA_DIR: path.join(dir, 'tls'), ...tlsEnv } });
      mtlsServer = await startTestServer({ env: { DATA_DIR: path.join(dir, 'mtls'), ...tlsEnv, TLS_CLIENT_CA_FILE: files['ca.crt']! } });
    });
    after(async () => {
      await tlsServer?.stop();
      await mtlsServer?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('serves REST over https with the configured certificate, and refuses plain http', async () => {
      const url = `https://127.0.0.1:${tlsServer.httpPort}`;
      const health = await request(`${url}/healthz`, { ca: pem('server.crt') });
      expect(health.status).to.equal(200);
      const list = await request(`${url}/v1/projects`, { ca: pem('server.crt'), headers: { authorization: `Bearer ${testToken()}` } });
      expect(list.status, list.body).to.equal(200);
      expect(list.headers['strict-transport-security']).to.match(/max-age=\d+/);
      // An untrusting client refuses the self-signed certificate.
      let untrusted: unknown;
      await request(`${url}/healthz`).catch((err: unknown) => (untrusted = err));
      expect(String(untrusted)).to.match(/self[- ]signed/i);
      // A plain-http request to the TLS port gets no API answer.
      const plain = await request(`http://127.0.0.1:${tlsServer.httpPort}/healthz`).catch((err: unknown) => err);
      expect((plain as Reply).status ?? 0).to.not.equal(200);
    });

    it('serves gRPC over TLS; an insecure channel is refused', async () => {
      const ok = await unary(tlsServer.grpcAddress, grpc.credentials.createSsl(pem('server.crt')), LIST_PROJECTS, testToken());
      expect(ok.code, ok.details).to.equal(grpc.status.OK);
      expect(ok.trailers.get('x-request-id')[0]).to.be.a('string').and.not.equal('');
      const insecure = await unary(tlsServer.grpcAddress, grpc.credentials.createInsecure(), LIST_PROJECTS, testToken());
      expect(insecure.code).to.equal(grpc.status.UNAVAILABLE);
    });

    it('with TLS_CLIENT_CA_FILE, gRPC refuses callers without a client certificate or with one from another CA', async () => {
      const none = await unary(mtlsServer.grpcAddress, grpc.credentials.createSsl(pem('server.crt')), LIST_PROJECTS, testToken());
      expect(none.code, none.details).to.equal(grpc.status.UNAVAILABLE);
      const rogue = await unary(
        mtlsServer.grpcAddress,
        grpc.credentials.createSsl(pem('server.crt'), pem('rogue-client.key'), pem('rogue-client.crt')),
        LIST_PROJECTS,
        testToken(),
      );
      expect(rogue.code, rogue.details).to.equal(grpc.status.UNAVAILABLE);
    });

    it('with TLS_CLIENT_CA_FILE, gRPC serves callers with a client certificate signed by that CA', async () => {
      const creds = grpc.credentials.createSsl(pem('server.crt'), pem('client.key'), pem('client.crt'));
      const ok = await unary(mtlsServer.grpcAddress, creds, LIST_PROJECTS, testToken());
      expect(ok.code, ok.details).to.equal(grpc.status.OK);
      // The token is still checked: a client certificate alone is not an identity.
      const anonymous = await unary(mtlsServer.grpcAddress, creds, LIST_PROJECTS);
      expect(anonymous.code).to.equal(grpc.status.UNAUTHENTICATED);
    });

    const misconfigured: Array<{ desc: string; env: () => Record<string, string>; message: RegExp }> = [
      {
        desc: 'a certificate without a key',
        env: () => ({ TLS_CERT_FILE: files['server.crt']! }),
        message: /needs both TLS_CERT_FILE and TLS_KEY_FILE/,
      },
      {
        desc: 'a client CA without a server pair',
        env: () => ({ TLS_CLIENT_CA_FILE: files['ca.crt']! }),
        message: /TLS_CLIENT_CA_FILE needs TLS_CERT_FILE/,
      },
      {
        desc: 'an unreadable certificate file',
        env: () => ({ TLS_CERT_FILE: path.join(dir, 'missing.crt'), TLS_KEY_FILE: files['server.key']! }),
        message: /TLS_CERT_FILE .*missing\.crt cannot be read \(ENOENT\)/,
      },
      {
        desc: 'a key file that is no key',
        env: () => ({ TLS_CERT_FILE: files['server.crt']!, TLS_KEY_FILE: files['server.crt']! }),
        message: /TLS_KEY_FILE .* is not a PEM private key/,
      },
      {
        desc: 'a mismatched key',
        env: () => ({ TLS_CERT_FILE: files['server.crt']!, TLS_KEY_FILE: files['other.key']! }),
        message: /does not match the certificate in TLS_CERT_FILE/,
      },
      {
        desc: 'a client CA file that is no certificate',
        env: () => ({ TLS_CERT_FILE: files['server.crt']!, TLS_KEY_FILE: files['server.key']!, TLS_CLIENT_CA_FILE: files['client.key']! }),
        message: /TLS_CLIENT_CA_FILE .* is not a PEM certificate/,
      },
    ];
    for (const c of misconfigured) {
      it(`refuses to start with ${c.desc}, saying why`, async () => {
        const config = loadConfig({
          DATABASE_URL: 'postgres://unused@127.0.0.1:1/none',
          HOST: '127.0.0.1',
          HTTP_PORT: '0',
          GRPC_PORT: '0',
          JWT_SECRET: 'x'.repeat(40),
          ...c.env(),
        });
        let failure: unknown;
        await startServer(config, silentLogger()).then(
          (s) => s.stop(),
          (err: unknown) => (failure = err),
        );
        expect(String(failure)).to.match(c.message);
        expect(String(failure)).to.not.include('BEGIN');
      });
    }
  });

  describe('plain transports with RATE_LIMIT_PER_MINUTE=3', function () {
    let server: TestServer;
    let dir: string;
    const LIMIT = 3;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-hardening-'));
      server = await startTestServer({ env: { DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    });
    after(async () => {
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('sends helmet security headers, keeps x-request-id, and no x-powered-by', async () => {
      for (const p of ['/healthz', '/v1/nothing-here']) {
        const headers = { 'x-request-id': 'hdr-check-1', authorization: `Bearer ${testToken({ '*': ['viewer'] }, 'header-checker')}` };
        const r = await request(`${server.baseUrl}${p}`, { headers });
        expect(r.headers['x-request-id']).to.equal('hdr-check-1');
        expect(r.headers['x-content-type-options']).to.equal('nosniff');
        expect(r.headers['x-frame-options']).to.equal('SAMEORIGIN');
        expect(r.headers['content-security-policy']).to.equal("default-src 'none';frame-ancestors 'none'");
        expect(r.headers['referrer-policy']).to.equal('no-referrer');
        expect(r.headers['strict-transport-security']).to.match(/max-age=/);
        expect(r.headers['cache-control']).to.equal('no-store');
        expect(r.headers).to.not.have.property('x-powered-by');
      }
    });

    it('REST: the call past the limit answers 429 RESOURCE_EXHAUSTED with Retry-After; another token and /healthz are unaffected', async () => {
      const alice = testToken({ '*': ['admin'] }, 'rate-alice');
      const bob = testToken({ '*': ['admin'] }, 'rate-bob');
      const get = (token: string): Promise<Reply> =>
        request(`${server.baseUrl}/v1/projects`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'rate-req-1' } });
      for (let i = 0; i < LIMIT; i++) expect((await get(alice)).status).to.equal(200);
      const limited = await get(alice);
      expect(limited.status, limited.body).to.equal(429);
      expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
      const err = googleBody(limited);
      expect(err).to.include({ code: 429, status: 'RESOURCE_EXHAUSTED' });
      expect(err.message).to.match(/rate limit of 3 requests per minute exceeded for this token/);
      expect(err.details[0]!.requestId).to.equal('rate-req-1');
      expect((await get(bob)).status).to.equal(200);
      for (let i = 0; i < 3 * LIMIT; i++) {
        for (const p of ['/healthz', '/readyz', '/metrics']) expect((await request(`${server.baseUrl}${p}`)).status, p).to.equal(200);
      }
    });

    it('REST: anonymous callers share one bucket per address', async () => {
      const codes: number[] = [];
      for (let i = 0; i <= LIMIT; i++) codes.push((await request(`${server.baseUrl}/v1/projects`)).status);
      expect(codes).to.deep.equal([401, 401, 401, 429]);
    });

    it('gRPC: the call past the limit answers RESOURCE_EXHAUSTED (8) with x-request-id and retry-after trailers; health is unaffected', async () => {
      const creds = grpc.credentials.createInsecure();
      const carol = testToken({ '*': ['admin'] }, 'rate-carol');
      for (let i = 0; i < LIMIT; i++) expect((await unary(server.grpcAddress, creds, LIST_PROJECTS, carol)).code).to.equal(grpc.status.OK);
      const limited = await unary(server.grpcAddress, creds, LIST_PROJECTS, carol);
      expect(limited.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(limited.details).to.match(/rate limit of 3 requests per minute/);
      expect(limited.trailers.get('x-request-id')[0]).to.be.a('string').and.not.equal('');
      expect(Number(limited.trailers.get('retry-after')[0])).to.be.within(1, 60);
      // The bucket belongs to the token, not the transport.
      const rest = await request(`${server.baseUrl}/v1/projects`, { headers: { authorization: `Bearer ${carol}` } });
      expect(rest.status).to.equal(429);
      const dave = await unary(server.grpcAddress, creds, LIST_PROJECTS, testToken({ '*': ['admin'] }, 'rate-dave'));
      expect(dave.code).to.equal(grpc.status.OK);
      for (let i = 0; i < 3 * LIMIT; i++) expect((await unary(server.grpcAddress, creds, HEALTH_CHECK)).code).to.equal(grpc.status.OK);
    });

    it('a 20 KiB header answers 431 with a Google error body, and the server keeps serving', async () => {
      const r = await request(`${server.baseUrl}/healthz`, { headers: { 'x-padding': 'p'.repeat(20 * 1024) } });
      expect(r.status).to.equal(431);
      const err = googleBody(r);
      expect(err).to.include({ code: 431, status: 'RESOURCE_EXHAUSTED' });
      expect(err.message).to.match(/headers are larger than the 16 KiB limit/);
      expect(err.details[0]!.requestId).to.be.a('string').and.equal(r.headers['x-request-id']);
      expect((await request(`${server.baseUrl}/healthz`)).status).to.equal(200);
    });

    it('a malformed %-escape answers a Google-shaped 400 without a stack trace', async () => {
      const r = await request(server.baseUrl, {
        path: '/v1/projects/%E0%A4%A',
        headers: { authorization: `Bearer ${testToken({ '*': ['admin'] }, 'escape-tester')}`, 'x-request-id': 'bad-escape-1' },
      });
      expect(r.status, r.body).to.equal(400);
      const err = googleBody(r);
      expect(err).to.include({ code: 400, status: 'INVALID_ARGUMENT' });
      expect(err.details[0]!.requestId).to.equal('bad-escape-1');
      expect(r.body).to.not.match(/\bat \S+ \(|node_modules|\.js:\d+|<html|<pre/i);
    });

    it('invalid UTF-8 in a JSON body is refused with INVALID_ARGUMENT, never stored as U+FFFD', async () => {
      const token = testToken({ '*': ['admin'] }, 'utf8-tester');
      const body = Buffer.concat([Buffer.from('{"name": "projects/bad'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      const res = await fetch(`${server.baseUrl}/v1/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      expect(res.status, text).to.equal(400);
      expect(JSON.parse(text).error).to.include({
        status: 'INVALID_ARGUMENT',
        message: 'the request body is not valid UTF-8 (first invalid byte at offset 23); send UTF-8 text',
      });
      const listed = await fetch(`${server.baseUrl}/v1/projects`, { headers: { authorization: `Bearer ${token}` } });
      expect(await listed.text()).to.not.include('\ufffd');
    });

    it('invalid UTF-8 in a gRPC string field is refused with INVALID_ARGUMENT naming the field, never stored as U+FFFD', async () => {
      const token = testToken({ '*': ['admin'] }, 'grpc-utf8-tester');
      const invalid = Buffer.from([0xc3, 0x28]);
      /** A length-delimited field (wire type 2) by hand: tag, length, bytes. */
      const field = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
      const text = (s: string) => Buffer.from(s, 'utf8');
      // CreateNoteRequest{parent: 1, note_id: 2, note: 3 {short_description: 2}} and CreateProjectRequest{project: 1 {name: 1}}.
      const cases = [
        {
          method: '/grafeas.v1.Grafeas/CreateNote',
          message: Buffer.concat([
            field(1, text('projects/p')),
            field(2, text('n')),
            field(3, field(2, Buffer.concat([text('a'), invalid]))),
          ]),
          want: 'note.shortDescription: is not valid UTF-8; send UTF-8 text',
        },
        {
          method: '/attestd.v1.Projects/CreateProject',
          message: field(1, field(1, Buffer.concat([text('projects/utf8'), invalid]))),
          want: 'project.name: is not valid UTF-8; send UTF-8 text',
        },
      ];
      for (const c of cases) {
        const r = await unary(server.grpcAddress, grpc.credentials.createInsecure(), c.method, token, c.message);
        expect(r.code, `${c.method}: ${r.details}`).to.equal(grpc.status.INVALID_ARGUMENT);
        expect(r.details).to.equal(c.want);
      }
      const listed = await fetch(`${server.baseUrl}/v1/projects`, { headers: { authorization: `Bearer ${token}` } });
      expect(await listed.text()).to.not.include('\ufffd');
    });

    it('bad JSON answers a Google-shaped 400 without a stack trace', async () => {
      const token = testToken({ '*': ['admin'] }, 'json-tester');
      const res = await fetch(`${server.baseUrl}/v1/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"name": ',
      });
      const text = await res.text();
      expect(res.status, text).to.equal(400);
      expect(JSON.parse(text).error.status).to.equal('INVALID_ARGUMENT');
      expect(text).to.not.match(/\bat \S+ \(|node_modules|\.js:\d+|<html|<pre/i);
    });
  });
});
