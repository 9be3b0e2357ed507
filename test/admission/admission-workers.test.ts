import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ATTESTD_BIN } from '../support/run-attestd';
import { testPair, writePair, type TestPair } from '../support/test-certificates';
import { testToken } from '../support/test-server';
import { deploymentReview, randomDigest, SIGNED_REPO } from './admission-fixtures';
import { Rest, scenario, startAttestd } from './admission-harness';
import { freePort } from '../support/free-port';
import { childrenOf, until } from '../support/until';

// `attestd admission --workers 2`: two adapter processes on one port (node:cluster, as `serve --workers`). Reviews
// on new connections are answered by both, each worker reports in to attestd under its own name with the
// decisions it served, and SIGTERM drains the group, which exits 0.

const REVIEWS = 20;

describe('attestd admission --workers 2', function () {
  this.timeout(120_000);
  let attestd: Awaited<ReturnType<typeof startAttestd>>;
  let adapter: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let output = '';
  let dir = '';
  let pair: TestPair;
  let port = 0;

  /** One request on a connection of its own, so that the primary hands each to the next worker. */
  const send = (method: string, p: string, body?: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: p,
          agent: false,
          ca: pair.cert,
          servername: 'localhost',
          headers: { 'content-type': 'application/json', connection: 'close' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  before(async () => {
    attestd = await startAttestd();
    await scenario(new Rest(attestd.baseUrl));
    pair = await testPair('localhost');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-admission-workers-'));
    const files = writePair(dir, pair);
    port = await freePort();
    adapter = spawn(
      process.execPath,
      [
        ATTESTD_BIN,
        'admission',
        '--workers',
        '2',
        '--server',
        attestd.baseUrl,
        '--insecure-server',
        '--project',
        'p1',
        '--cluster',
        'c1',
        '--tls-cert',
        files.certFile,
        '--tls-key',
        files.keyFile,
      ],
      {
        env: {
          ...process.env,
          ATTESTD_TOKEN: testToken({ p1: ['admission'] }, 'admission-webhook'),
          HOST: '127.0.0.1',
          ADMISSION_PORT: String(port),
          LOG_LEVEL: 'info',
          SHUTDOWN_GRACE_MS: '5000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    adapter.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    adapter.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    exited = new Promise((resolve) => adapter!.once('exit', (code) => resolve(code)));
    await until('both workers to serve', () => {
      if (adapter!.exitCode !== null) throw new Error(`the adapter exited with ${adapter!.exitCode}:\n${output}`);
      return output.includes('attestd serving with every worker') ? true : undefined;
    });
  });
  after(async () => {
    if (adapter && adapter.exitCode === null) adapter.kill('SIGKILL');
    await attestd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs two adapter processes under one supervisor on one port', () => {
    expect(childrenOf(adapter!.pid!)).to.have.length(2);
    expect(output.match(/admission webhook serving POST \/validate/g)).to.have.length(2);
  });

  it('answers reviews in both workers, and each reports in with the decisions it served', async () => {
    for (let i = 0; i < REVIEWS; i++) {
      const review = deploymentReview([`${SIGNED_REPO}@${randomDigest()}`]) as { request: { uid: string } };
      const { status, text } = await send('POST', '/validate', JSON.stringify(review));
      expect(status, text).to.equal(200);
      const answer = JSON.parse(text) as { response: { uid: string; allowed: boolean } };
      expect(answer.response.uid).to.equal(review.request.uid);
      // An unattested image under the enabled policy: denied, a recorded decision either way.
      expect(answer.response.allowed).to.equal(false);
    }
    // Readiness probes report in (each to the worker its connection lands on).
    for (let i = 0; i < 4; i++) expect((await send('GET', '/readyz')).status).to.equal(200);
    const rest = new Rest(attestd.baseUrl);
    const adapters = await until('both workers to report every decision', async () => {
      const c = (await rest.call('GET', '/v1/projects/p1/clusters/c1')) as { adapters?: { adapter: string; decisionsServed: string }[] };
      const mine = (c.adapters ?? []).filter((a) => a.adapter.startsWith(`${os.hostname()}/worker-`));
      const total = mine.reduce((n, a) => n + Number(a.decisionsServed), 0);
      return mine.length === 2 && total === REVIEWS ? mine : undefined;
    });
    expect(adapters.map((a) => a.adapter).sort()).to.deep.equal([`${os.hostname()}/worker-0`, `${os.hostname()}/worker-1`]);
    for (const a of adapters) expect(Number(a.decisionsServed), a.adapter).to.be.greaterThan(0);
  });

  it('drains both workers on SIGTERM and exits 0', async () => {
    const workers = childrenOf(adapter!.pid!);
    expect(workers).to.have.length(2);
    adapter!.kill('SIGTERM');
    expect(await exited).to.equal(0);
    for (const w of workers) expect(() => process.kill(w, 0), `worker ${w} is gone`).to.throw();
  });
});

describe('attestd admission --workers without certificate files', () => {
  it('refuses more than one worker with a generated certificate, naming the flags', () => {
    let out = '';
    try {
      execFileSync(process.execPath, [ATTESTD_BIN, 'admission', '--workers', '2', '--server', 'http://127.0.0.1:1', '--insecure-server'], {
        env: { ...process.env, ADMISSION_PORT: '0' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const e = err as { status: number; stderr: string };
      expect(e.status).to.equal(1);
      out = e.stderr;
    }
    expect(out).to.match(/2 workers needs --tls-cert and --tls-key[\s\S]*WORKERS=1/);
  });
});
