import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { call, ok, poll, setUpSigning } from './registry-support';
import { buildOciImage, REGISTRY_TOOLS, requireTools, skopeoPush, startDockerRegistry, type DockerRegistry } from './start-docker-registry';
import type { LooseJson } from '../support/loose-json';

// End to end with a real registry: Debian's docker-registry (CNCF Distribution 2.8) notifies attestd's
// distribution hook with a static Authorization header (a token with the attestor role); an OCI image
// built with umoci is pushed with skopeo; the pushed digest gets a verified attestation, and
// :verifyImages admits it into the protected namespace, while the same digest under a repository no
// rule covers is denied. No Docker daemon. Under CI=true missing tools fail the test; elsewhere it
// skips, loudly.

const P = 'e2e';
const W = 'registry-signer';

describe('registry end to end: docker-registry → hook → attestation → verifyImages', function () {
  this.timeout(180_000);
  let server: TestServer | undefined;
  let registry: DockerRegistry | undefined;
  let dir = '';

  before(async function () {
    requireTools(this, Object.values(REGISTRY_TOOLS), 'the registry end-to-end test');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-registry-e2e-'));
    server = await startTestServer();
    // The registry's long-lived credential: the attestor role on this project only.
    const hookToken = testToken({ [P]: ['attestor'] }, 'docker-registry');
    registry = await startDockerRegistry(
      dir,
      `notifications:
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
`,
    );
    await setUpSigning(server.baseUrl, server.adminToken, {
      project: P,
      witness: W,
      rule: 'kritis-demo',
      registry: registry.host,
      namespace: 'kritis-demo',
    });
    await ok(server.baseUrl, server.adminToken, 'POST', `/v1/projects/${P}/clusters?clusterId=c1`, {});
    await ok(server.baseUrl, server.adminToken, 'POST', `/v1/projects/${P}/policies?policyId=prod`, {
      witnesses: [`projects/${P}/witnesses/${W}`],
      cluster: 'c1',
      namespaces: ['prod'],
      enabled: true,
    });
    await buildOciImage(dir);
  });

  after(async () => {
    await registry?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const push = async (repository: string, tag: string): Promise<string> => {
    const digest = await skopeoPush(dir, `${registry!.host}/${repository}:${tag}`);
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
    const image = `${registry!.host}/kritis-demo/alpine@${digest}`;
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

    const elsewhere = `${registry!.host}/unsigned/alpine@${digest}`;
    const denied = await verify(elsewhere);
    expect(denied, JSON.stringify(denied)).to.include({ allowed: false });
  });

  it('a real push into a repository no rule covers is acknowledged, recorded as ignored with the reason, and not signed', async () => {
    const digest = await push('unsigned/alpine', 'latest');
    const image = `${registry!.host}/unsigned/alpine@${digest}`;
    const ignored = await poll('the uncovered push to be recorded', 30_000, async () => (await hookEvents(`image = "${image}"`))[0]);
    expect(ignored).to.include({ status: 'IGNORED', reason: `no enabled signing rule covers ${registry!.host}/unsigned/alpine` });
    expect((await verify(image)).allowed).to.equal(false);
    // The registry's queue was never stalled: nothing it sent was refused.
    expect(registry!.log()).to.not.match(/retryingsink: error writing events|httpSink.*(response status|error)/i);
    const metrics = (await call(server!.baseUrl, undefined, 'GET', '/metrics')).body as string;
    expect(metrics).to.match(/attestd_hook_signings_total\{result="signed"\} [1-9]/);
  });
});
