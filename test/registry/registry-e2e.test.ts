import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { call, freePort, ok, poll, setUpSigning } from './registry-support';
import type { LooseJson } from '../support/loose-json';

// End to end with a real registry: Debian's docker-registry (CNCF Distribution 2.8) notifies attestd's
// distribution hook with a static Authorization header (a token with the attestor role); an OCI image
// built with umoci is pushed with skopeo; the pushed digest gets a verified attestation, and
// :verifyImages admits it into the protected namespace, while the same digest under a repository no
// rule covers is denied. No Docker daemon. Under CI=true missing tools fail the test; elsewhere it
// skips, loudly.

const run = promisify(execFile);
const TOOLS = { registry: '/usr/bin/docker-registry', skopeo: 'skopeo', umoci: 'umoci' };
const P = 'e2e';
const W = 'registry-signer';

function which(tool: string): boolean {
  if (path.isAbsolute(tool)) return fs.existsSync(tool);
  return (process.env.PATH ?? '').split(':').some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('registry end to end: docker-registry → hook → attestation → verifyImages', function () {
  this.timeout(180_000);
  let server: TestServer | undefined;
  let registry: ChildProcess | undefined;
  let registryLog = '';
  let dir = '';
  let port = 0;

  before(async function () {
    const missing = Object.values(TOOLS).filter((t) => !which(t));
    if (missing.length > 0) {
      const message = `registry e2e needs ${missing.join(', ')} (apt-get install -y docker-registry skopeo umoci; .ci/run installs them)`;
      if (process.env.CI === 'true') throw new Error(`${message} — missing under CI=true`);
      console.warn(`\n  !!! SKIPPING the registry end-to-end test: ${message}\n`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-registry-e2e-'));
    port = await freePort();
    server = await startTestServer();
    await setUpSigning(server.baseUrl, server.adminToken, {
      project: P,
      witness: W,
      rule: 'kritis-demo',
      registry: `127.0.0.1:${port}`,
      namespace: 'kritis-demo',
    });
    await ok(server.baseUrl, server.adminToken, 'POST', `/v1/projects/${P}/policies?policyId=prod`, {
      witnesses: [`projects/${P}/witnesses/${W}`],
      cluster: 'c1',
      namespaces: ['prod'],
      enabled: true,
    });
    // The registry's long-lived credential: the attestor role on this project only.
    const hookToken = testToken({ [P]: ['attestor'] }, 'docker-registry');
    const config = `version: 0.1
log:
  level: info
  formatter: text
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
notifications:
  events:
    includereferences: true
  endpoints:
    - name: attestd
      url: ${server.baseUrl}/v1/projects/${P}/hooks/distribution
      headers:
        Authorization: [Bearer ${hookToken}]
      timeout: 2s
      threshold: 3
      backoff: 1s
`;
    fs.writeFileSync(path.join(dir, 'config.yml'), config);
    registry = spawn(TOOLS.registry, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer): void => {
      registryLog = (registryLog + b.toString()).slice(-20_000);
    };
    registry.stdout!.on('data', keep);
    registry.stderr!.on('data', keep);
    await poll('docker-registry to listen', 30_000, async () => {
      if (registry!.exitCode !== null) throw new Error(`docker-registry exited ${registry!.exitCode}:\n${registryLog}`);
      const r = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    });
    // An OCI image built with umoci (no Docker daemon).
    await sh(TOOLS.umoci, ['init', '--layout', 'oci'], dir);
    await sh(TOOLS.umoci, ['new', '--image', 'oci:alpine'], dir);
    await sh(TOOLS.umoci, ['unpack', '--rootless', '--image', 'oci:alpine', 'bundle'], dir);
    fs.writeFileSync(path.join(dir, 'bundle', 'rootfs', 'hello.txt'), `hi ${Date.now()}\n`);
    await sh(TOOLS.umoci, ['repack', '--image', 'oci:alpine', 'bundle'], dir);
    await sh(TOOLS.umoci, ['config', '--image', 'oci:alpine', '--config.cmd', '/bin/sh', '--architecture', 'amd64', '--os', 'linux'], dir);
  });

  after(async () => {
    if (registry && registry.exitCode === null) {
      const exited = new Promise((r) => registry!.once('exit', r));
      registry.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (registry.exitCode === null) registry.kill('SIGKILL');
    }
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const push = async (repository: string, tag: string): Promise<string> => {
    const digestFile = path.join(dir, `${repository.replace(/\//g, '_')}.digest`);
    await sh(
      TOOLS.skopeo,
      ['copy', '--dest-tls-verify=false', '--digestfile', digestFile, 'oci:oci:alpine', `docker://127.0.0.1:${port}/${repository}:${tag}`],
      dir,
    );
    const digest = fs.readFileSync(digestFile, 'utf8').trim();
    expect(digest).to.match(/^sha256:[a-f0-9]{64}$/);
    return digest;
  };

  const hookEvents = async (filter: string): Promise<LooseJson[]> =>
    (
      await ok(
        server!.baseUrl,
        server!.adminToken,
        'GET',
        `/v1/projects/${P}/hookEvents?pageSize=1000&filter=${encodeURIComponent(filter)}`,
      )
    ).hookEvents ?? [];

  const verify = async (image: string): Promise<LooseJson> =>
    (
      await ok(server!.baseUrl, server!.adminToken, 'POST', `/v1/projects/${P}:verifyImages`, {
        cluster: 'c1',
        namespace: 'prod',
        images: [image],
      })
    ).results[0];

  it('a push into the signing namespace is signed within 30 s and admitted; the same digest elsewhere is denied', async () => {
    const digest = await push('kritis-demo/alpine', '3.11');
    const image = `127.0.0.1:${port}/kritis-demo/alpine@${digest}`;
    const signed = await poll(
      'the pushed digest to be signed',
      30_000,
      async () => (await hookEvents(`image = "${image}" AND status = "SIGNED"`))[0],
    );
    expect(signed).to.include({
      source: 'distribution',
      action: 'push',
      tag: '3.11',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      witness: `projects/${P}/witnesses/${W}`,
    });
    const occ = await ok(server!.baseUrl, server!.adminToken, 'GET', `/v1/${signed.occurrence}`);
    expect(occ).to.include({ resourceUri: `https://${image}`, kind: 'ATTESTATION', noteName: `projects/${P}/notes/${W}` });

    // The blob pushes before the manifest were acknowledged and ignored, none failed or waits.
    expect((await hookEvents('status = "IGNORED" AND action = "push"')).length).to.be.greaterThan(0);
    expect(await hookEvents('status = "FAILED"')).to.have.length(0);

    const allowed = await verify(image);
    expect(allowed, JSON.stringify(allowed)).to.include({ allowed: true });
    expect(allowed.reason ?? '').to.not.match(/NOT_ATTESTED/);

    const elsewhere = `127.0.0.1:${port}/unsigned/alpine@${digest}`;
    const denied = await verify(elsewhere);
    expect(denied, JSON.stringify(denied)).to.include({ allowed: false });
  });

  it('a real push into a repository no rule covers is acknowledged, recorded as ignored with the reason, and not signed', async () => {
    const digest = await push('unsigned/alpine', 'latest');
    const image = `127.0.0.1:${port}/unsigned/alpine@${digest}`;
    const ignored = await poll('the uncovered push to be recorded', 30_000, async () => (await hookEvents(`image = "${image}"`))[0]);
    expect(ignored).to.include({ status: 'IGNORED', reason: `no enabled signing rule covers 127.0.0.1:${port}/unsigned/alpine` });
    expect((await verify(image)).allowed).to.equal(false);
    // The registry's queue was never stalled: nothing it sent was refused.
    expect(registryLog).to.not.match(/retryingsink: error writing events|httpSink.*(response status|error)/i);
    const metrics = (await call(server!.baseUrl, undefined, 'GET', '/metrics')).body as string;
    expect(metrics).to.match(/attestd_hook_signings_total\{result="signed"\} [1-9]/);
  });
});
