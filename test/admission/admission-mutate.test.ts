import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAdmissionWebhook, type RunningWebhook } from '../../src/admission/admission-webhook';
import { RemoteVerifier } from '../../src/admission/remote-verifier';
import { silentLogger } from '../../src/logger';
import { freePort } from '../support/free-port';
import { startScriptedRegistry, type ScriptedRegistry } from '../registry/scripted-registry';
import {
  buildOciImage,
  REGISTRY_TOOLS,
  requireTools,
  sh,
  skopeoPush,
  startDockerRegistry,
  type DockerRegistry,
} from '../registry/start-docker-registry';
import type { LooseJson } from '../support/loose-json';
import { testToken } from '../support/test-server';
import { DIGEST, KIND_CASES, SIGNED_REPO, admissionReview, deploymentReview } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd } from './admission-harness';

// The mutating webhook (POST /mutate, ADR 0065) against the real docker-registry: tags pinned to the digest the
// registry names, the patched object then judged by the validating webhook; registries that cannot answer leave
// the image as written (and the validating webhook denies it as a tag).

type Json = Record<string, LooseJson>;

/** Applies the answer's JSON Patch (test and replace, as /mutate writes them) to a copy of `object`. */
function applyPatch(object: Json, response: Json): Json {
  const copy = JSON.parse(JSON.stringify(object)) as Json;
  expect(response.patchType).to.equal('JSONPatch');
  const ops = JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8')) as Array<{
    op: string;
    path: string;
    value: string;
  }>;
  for (const op of ops) {
    const keys = op.path.split('/').slice(1);
    const last = keys.pop()!;
    let holder: LooseJson = copy;
    for (const k of keys) holder = holder[k];
    if (op.op === 'test') expect(holder[last], op.path).to.equal(op.value);
    else if (op.op === 'replace') holder[last] = op.value;
    else throw new Error(`unexpected patch op ${op.op}`);
  }
  return copy;
}

describe('admission: the mutating webhook pins tags to digests (real docker-registry)', function () {
  this.timeout(180_000);
  let dir = '';
  let registry: DockerRegistry;
  let privateRegistry: DockerRegistry;
  let garbage: ScriptedRegistry;
  let stalled: ScriptedRegistry;
  let closedHost = '';
  let digest = '';
  let privateDigest = '';
  let authFile = '';
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let client: WebhookClient;
  let rest: Rest;

  const mutate = async (review: Json): Promise<Json> => {
    const { status, body, text } = await client.send('POST', '/mutate?timeout=10s', JSON.stringify(review));
    expect(status, text).to.equal(200);
    expect(body).to.include({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(body.response.uid).to.equal(review.request.uid);
    expect(body.response.allowed).to.equal(true);
    return body.response;
  };

  before(async function () {
    requireTools(this, [...Object.values(REGISTRY_TOOLS), 'htpasswd'], 'the mutating webhook tests');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-mutate-'));
    await buildOciImage(dir);
    registry = await startDockerRegistry(path.join(dir, 'open'));
    digest = await skopeoPush(dir, `${registry.host}/team/app:1.0`);
    fs.writeFileSync(path.join(dir, 'htpasswd'), await sh('htpasswd', ['-Bbn', 'puller', 's3cret-pw'], dir));
    privateRegistry = await startDockerRegistry(
      path.join(dir, 'private'),
      `auth:\n  htpasswd:\n    realm: attestd-test\n    path: ${path.join(dir, 'htpasswd')}\n`,
    );
    privateDigest = await skopeoPush(dir, `${privateRegistry.host}/private/app:2.0`, 'puller:s3cret-pw');
    // A Kubernetes image pull secret's .dockerconfigjson, as mounted.
    authFile = path.join(dir, 'config.json');
    const auth = Buffer.from('puller:s3cret-pw').toString('base64');
    fs.writeFileSync(authFile, JSON.stringify({ auths: { [privateRegistry.host]: { auth } } }), { mode: 0o600 });
    garbage = await startScriptedRegistry();
    garbage.script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'docker-content-digest': `sha256:${'a'.repeat(64)}` });
      res.end('<html>captive portal</html>');
    };
    stalled = await startScriptedRegistry();
    stalled.script = () => undefined;
    closedHost = `127.0.0.1:${await freePort()}`;
    // `localhost:PORT` is the private registry under a name the credentials file does not list.
    const plain = [
      registry.host,
      privateRegistry.host,
      privateRegistry.host.replace('127.0.0.1', 'localhost'),
      garbage.host,
      stalled.host,
      closedHost,
    ].join(',');
    server = await startAttestd({
      admission: admissionSettings({
        ADMISSION_MUTATE: 'true',
        ADMISSION_PLAIN_HTTP_REGISTRIES: plain,
        ADMISSION_RESOLVE_TIMEOUT_MS: '1000',
      }),
      env: { REGISTRY_AUTH_FILE: authFile },
    });
    rest = new Rest(server.baseUrl);
    await scenario(rest);
    await rest.post('/v1/projects/p1/witnesses/w1:attest', { image: `${registry.host}/team/app@${digest}` });
    await rest.post('/v1/projects/p1/witnesses/w1:attest', { image: `${SIGNED_REPO}@${DIGEST}` });
    client = new WebhookClient(server.admission!);
  });

  after(async () => {
    client?.close();
    await server?.stop();
    for (const r of [registry, privateRegistry, garbage, stalled]) await r?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const k of KIND_CASES) {
    it(`${k.desc}: repo:tag becomes repo:tag@sha256:…, and the validating webhook admits the attested digest`, async () => {
      const tagged = `${registry.host}/team/app:1.0`;
      const review = admissionReview(k.object([tagged]), {
        gvk: k.gvk,
        resource: k.resource,
        subResource: k.subResource,
        operation: k.operation,
      });
      const before = await client.review(review);
      expect(before.allowed, JSON.stringify(before)).to.equal(false);
      expect(before.status.message).to.equal(`image ${tagged} is not attested`);
      const answer = await mutate(review);
      expect(answer.warnings, JSON.stringify(answer)).to.equal(undefined);
      expect(answer.auditAnnotations.pinned).to.equal(`${tagged}@${digest}`);
      const patched = applyPatch(review.request.object, answer);
      const after = await client.review({ ...review, request: { ...review.request, object: patched } });
      expect(after.allowed, JSON.stringify(after)).to.equal(true);
    });
  }

  it('leaves images already by digest alone, patches every container of a tag, and answers without a patch when nothing changes', async () => {
    const tagged = `${registry.host}/team/app:1.0`;
    const pinned = `${SIGNED_REPO}@${DIGEST}`;
    const nothing = await mutate(deploymentReview([pinned]));
    expect(nothing).to.not.have.any.keys('patch', 'patchType', 'warnings');
    const review = deploymentReview([tagged, pinned, tagged]);
    const answer = await mutate(review);
    const ops = JSON.parse(Buffer.from(answer.patch, 'base64').toString('utf8')) as Json[];
    expect(ops.filter((o) => o.op === 'replace').map((o) => o.path)).to.deep.equal([
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers/2/image',
    ]);
    const containers = applyPatch(review.request.object, answer).spec.template.spec.containers;
    expect(containers.map((c: Json) => c.image)).to.deep.equal([`${tagged}@${digest}`, pinned, `${tagged}@${digest}`]);
  });

  it('reads a private registry with the credentials of REGISTRY_AUTH_FILE (.dockerconfigjson)', async () => {
    const tagged = `${privateRegistry.host}/private/app:2.0`;
    const answer = await mutate(deploymentReview([tagged]));
    expect(answer.auditAnnotations.pinned).to.equal(`${tagged}@${privateDigest}`);
    expect(JSON.stringify(answer)).to.not.contain('s3cret-pw');
  });

  describe('a tag that cannot be resolved is left as written, with a warning, and the validating webhook denies it', () => {
    const cases = [
      { desc: 'unknown tag', image: () => `${registry.host}/team/app:9.9`, warning: /left unchanged \(tag not resolved: .*9\.9/ },
      { desc: 'registry not listening', image: () => `${closedHost}/team/app:1.0`, warning: /left unchanged \(tag not resolved: / },
      {
        desc: 'registry answering something that is not a manifest',
        image: () => `${garbage.host}/team/app:1.0`,
        warning: /left unchanged \(tag not resolved: .*(manifest|html)/i,
      },
      {
        desc: 'registry that never answers',
        image: () => `${stalled.host}/team/app:1.0`,
        warning: /did not answer within 1000 ms/,
      },
      {
        desc: 'private registry without credentials for it',
        image: () => `${privateRegistry.host.replace('127.0.0.1', 'localhost')}/private/app:2.0`,
        warning: /left unchanged \(tag not resolved: registry localhost:\d+ requires a username/,
      },
    ];
    for (const c of cases) {
      it(c.desc, async () => {
        const review = deploymentReview([c.image()]);
        const answer = await mutate(review);
        expect(answer).to.not.have.any.keys('patch', 'patchType');
        expect(answer.warnings).to.have.length(1);
        expect(answer.warnings[0], answer.warnings[0]).to.match(c.warning);
        expect(answer.warnings[0].length).to.be.lessThan(120);
        expect(JSON.parse(answer.auditAnnotations.unresolved)[0].image).to.equal(c.image());
        const verdict = await client.review(review);
        expect(verdict.allowed).to.equal(false);
        expect(verdict.status.message).to.equal(`image ${c.image()} is not attested`);
      });
    }
  });

  it('answers a body that is not an AdmissionReview with 400, and admits kinds it does not inspect unchanged', async () => {
    const bad = await client.send('POST', '/mutate', '{"kind":"AdmissionReview"}');
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.match(/apiVersion must be "admission\.k8s\.io\/v1"/);
    const other = admissionReview(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      {
        gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
        resource: 'configmaps',
      },
    );
    expect(await mutate(other)).to.not.have.any.keys('patch', 'patchType');
  });

  describe('the stand-alone adapter', () => {
    let on: RunningWebhook;
    let off: RunningWebhook;
    const start = (env: Record<string, string>): Promise<RunningWebhook> => {
      const settings = admissionSettings(env);
      const verifier = new RemoteVerifier({
        server: server.baseUrl,
        project: 'p1',
        cluster: 'c1',
        token: testToken({ p1: ['admission'] }, 'admission-webhook'),
        insecureServer: true,
      });
      return startAdmissionWebhook(settings, { host: '127.0.0.1', port: 0, registryAuthFile: authFile }, verifier, silentLogger());
    };
    before(async () => {
      on = await start({ ADMISSION_MUTATE: 'true', ADMISSION_PLAIN_HTTP_REGISTRIES: `${registry.host},${privateRegistry.host}` });
      off = await start({});
    });
    after(async () => {
      await on?.stop();
      await off?.stop();
    });

    it('pins tags like the in-process one; without --mutate, /mutate is a 404 that says how to turn it on', async () => {
      const remote = new WebhookClient(on);
      const disabled = new WebhookClient(off);
      try {
        const tagged = `${privateRegistry.host}/private/app:2.0`;
        const { status, body } = await remote.send('POST', '/mutate?timeout=10s', JSON.stringify(deploymentReview([tagged])));
        expect(status).to.equal(200);
        expect(body.response.auditAnnotations.pinned).to.equal(`${tagged}@${privateDigest}`);
        const refused = await disabled.send('POST', '/mutate', JSON.stringify(deploymentReview([tagged])));
        expect(refused.status).to.equal(404);
        expect(refused.body.error.message).to.contain('--mutate (ADMISSION_MUTATE=true)');
      } finally {
        remote.close();
        disabled.close();
      }
    });
  });
});
