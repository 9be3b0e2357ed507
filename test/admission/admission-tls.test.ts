import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { RemoteVerifier } from '../../src/admission/remote-verifier';
import type { RunningWebhook } from '../../src/admission/admission-webhook';
import { replaceFile, testPair, writePair, type TestPair } from '../support/test-certificates';
import { testToken } from '../support/test-server';
import { untilTrue } from '../support/until';
import { DIGEST, SIGNED_REPO, deploymentReview } from './admission-fixtures';
import { WebhookClient, admissionSettings, startAttestd, startRemoteWebhook } from './admission-harness';

/** The subject of the certificate served on 127.0.0.1:port (ALPN h2 for gRPC, http/1.1 otherwise). */
function servedSubject(port: number, alpn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: [alpn] },
      () => {
        const cert = socket.getPeerX509Certificate();
        socket.destroy();
        resolve(cert?.subject ?? '');
      },
    );
    socket.on('error', reject);
  });
}

/** GET /healthz over https trusting only `ca`. */
function healthz(port: number, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/healthz', ca, servername: 'localhost', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

describe('TLS in transit: attestd over https, the adapter verifying it, certificates rotated without a restart', function () {
  this.timeout(60000);
  let dir: string;
  let pairs: Record<'a' | 'b' | 'c' | 'd', TestPair>;
  let apiFiles: { certFile: string; keyFile: string };
  let hookFiles: { certFile: string; keyFile: string };
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let adapter: RunningWebhook | undefined;

  before(async () => {
    const [a, b, c, d] = await Promise.all([testPair('pair-a'), testPair('pair-b'), testPair('pair-c'), testPair('pair-d')]);
    pairs = { a, b, c, d };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-tls-rotation-'));
    fs.mkdirSync(path.join(dir, 'api'));
    fs.mkdirSync(path.join(dir, 'hook'));
    apiFiles = writePair(path.join(dir, 'api'), pairs.a);
    hookFiles = writePair(path.join(dir, 'hook'), pairs.a);
    server = await startAttestd({
      env: { TLS_CERT_FILE: apiFiles.certFile, TLS_KEY_FILE: apiFiles.keyFile, TLS_RELOAD_INTERVAL_MS: '100' },
      admission: admissionSettings({ ADMISSION_TLS_CERT: hookFiles.certFile, ADMISSION_TLS_KEY: hookFiles.keyFile }),
    });
    const post = (p: string, body: unknown): Promise<void> => httpsPost(server.httpPort, pairs.a.cert, p, body);
    await post('/v1/projects', { name: 'projects/p1' });
    await post('/v1/projects/p1/keys?keyId=k1', { keySpec: 'EC_P256', purpose: 'SIGN_VERIFY' });
    await post('/v1/projects/p1/witnesses?witnessId=w1', { key: 'projects/p1/keys/k1' });
    await post('/v1/projects/p1/clusters?clusterId=c1', {});
    await post('/v1/projects/p1/policies?policyId=pol', {
      witnesses: ['projects/p1/witnesses/w1'],
      cluster: 'c1',
      namespaces: ['default'],
      enabled: true,
    });
  });
  after(async () => {
    await adapter?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the adapter reaches attestd over https when --ca-file holds its CA, and denies (unreachable) with another CA', async () => {
    const url = `https://localhost:${server.httpPort}`;
    const review = deploymentReview([`${SIGNED_REPO}@${DIGEST}`]);
    const inProcess = new WebhookClient(server.admission!);
    const want = await inProcess.review(review);
    inProcess.close();

    adapter = await startRemoteWebhook(url, admissionSettings(), testToken({ p1: ['admission'] }, 'admission-webhook'), pairs.a.cert);
    const client = new WebhookClient(adapter);
    const got = await client.review(review);
    client.close();
    expect(got.allowed).to.equal(want.allowed);
    expect(got.status?.message ?? '').to.not.match(/unreachable|certificate/);
    await adapter.stop();

    adapter = await startRemoteWebhook(url, admissionSettings(), testToken({ p1: ['admission'] }, 'admission-webhook'), pairs.b.cert);
    const wrong = new WebhookClient(adapter);
    const denied = await wrong.review(review);
    wrong.close();
    expect(denied.allowed).to.equal(false);
    expect(denied.status.message).to.match(/attestd is unreachable/);
    await adapter.stop();
    adapter = undefined;
  });

  it('the adapter refuses a plain-http server unless told --insecure-server, and --ca-file with http://', () => {
    const base = { project: 'p1', cluster: 'c1', token: 't' };
    expect(() => new RemoteVerifier({ ...base, server: 'http://attestd.attestd.svc:8080' })).to.throw(
      /plain HTTP[\s\S]*--server https:\/\/[\s\S]*--insecure-server/,
    );
    expect(() => new RemoteVerifier({ ...base, server: 'http://attestd:8080', insecureServer: true, ca: pairs.a.cert })).to.throw(
      /--ca-file .*plain HTTP: use https:\/\//,
    );
    const ok = new RemoteVerifier({ ...base, server: 'http://attestd:8080', insecureServer: true });
    ok.close();
  });

  it('REST, gRPC and the admission webhook serve a rotated certificate without a restart', async () => {
    expect(await servedSubject(server.httpPort, 'http/1.1')).to.equal('CN=pair-a');
    expect(await servedSubject(server.grpcPort, 'h2')).to.equal('CN=pair-a');
    expect(await servedSubject(server.admission!.port, 'http/1.1')).to.equal('CN=pair-a');
    writePair(path.dirname(apiFiles.certFile), pairs.b);
    writePair(path.dirname(hookFiles.certFile), pairs.c);
    await untilTrue('REST serves pair-b', async () => (await servedSubject(server.httpPort, 'http/1.1')) === 'CN=pair-b');
    await untilTrue('gRPC serves pair-b', async () => (await servedSubject(server.grpcPort, 'h2')) === 'CN=pair-b');
    await untilTrue('the webhook serves pair-c', async () => (await servedSubject(server.admission!.port, 'http/1.1')) === 'CN=pair-c');
    expect(await healthz(server.httpPort, pairs.b.cert)).to.equal(200);
  });

  it('garbage in the certificate files never interrupts serving: the previous pair serves until a valid one arrives', async () => {
    const served = new Set<string>();
    replaceFile(apiFiles.certFile, 'garbage, not PEM\n');
    replaceFile(hookFiles.keyFile, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    // The garbage is on disk; every handshake in the meantime still completes with the last good pair.
    for (let i = 0; i < 20; i++) {
      served.add(await servedSubject(server.httpPort, 'http/1.1'));
      served.add(await servedSubject(server.admission!.port, 'http/1.1'));
    }
    expect([...served].sort()).to.deep.equal(['CN=pair-b', 'CN=pair-c']);
    writePair(path.dirname(apiFiles.certFile), pairs.d);
    writePair(path.dirname(hookFiles.certFile), pairs.d);
    await untilTrue('REST serves pair-d', async () => (await servedSubject(server.httpPort, 'http/1.1')) === 'CN=pair-d');
    await untilTrue('the webhook serves pair-d', async () => (await servedSubject(server.admission!.port, 'http/1.1')) === 'CN=pair-d');
  });
});

/** POSTs JSON as admin over https trusting only `ca`; throws unless 2xx. */
function httpsPost(port: number, ca: string, p: string, body: unknown): Promise<void> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: 'POST',
        ca,
        servername: 'localhost',
        agent: false,
        headers: { authorization: `Bearer ${testToken()}`, 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`POST ${p} → ${res.statusCode}: ${Buffer.concat(chunks).toString()}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
