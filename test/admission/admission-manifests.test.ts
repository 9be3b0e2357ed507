import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startAdmissionWebhook } from '../../src/admission/admission-webhook';
import type { ImageVerifier } from '../../src/admission/image-verifier';
import { loadOrGenerateTls } from '../../src/admission/tls-material';
import { silentLogger } from '../../src/logger';
import { WebhookClient, admissionSettings } from './admission-harness';
import type { LooseJson } from '../support/loose-json';

const DEPLOY = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../deploy/kubernetes' : '../../deploy/kubernetes',
);

/** kubectl needs API discovery even for client-side dry runs: these static documents are enough. */
const RESOURCES: Record<string, { kind: string; name: string; namespaced: boolean }[]> = {
  '/api/v1': [
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'replicationcontrollers', kind: 'ReplicationController', namespaced: true },
    { name: 'podtemplates', kind: 'PodTemplate', namespaced: true },
  ],
  '/apis/apps/v1': [
    { name: 'deployments', kind: 'Deployment', namespaced: true },
    { name: 'replicasets', kind: 'ReplicaSet', namespaced: true },
    { name: 'statefulsets', kind: 'StatefulSet', namespaced: true },
    { name: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  ],
  '/apis/batch/v1': [
    { name: 'jobs', kind: 'Job', namespaced: true },
    { name: 'cronjobs', kind: 'CronJob', namespaced: true },
  ],
  '/apis/policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
  '/apis/admissionregistration.k8s.io/v1': [
    { name: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false },
  ],
};

function discovery(url: string): unknown {
  if (url === '/api')
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (url === '/apis') {
    const groups = Object.keys(RESOURCES)
      .filter((p) => p.startsWith('/apis/'))
      .map((p) => p.split('/').slice(2));
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map(([group, version]) => ({
        name: group,
        versions: [{ groupVersion: `${group}/${version}`, version }],
        preferredVersion: { groupVersion: `${group}/${version}`, version },
      })),
    };
  }
  const list = RESOURCES[url];
  if (!list) return undefined;
  const groupVersion = url === '/api/v1' ? 'v1' : url.slice('/apis/'.length);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: list.map((r) => ({ ...r, singularName: '', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
  };
}

/** A missing tool fails under CI=true and skips loudly elsewhere. */
function requireTool(ctx: Mocha.Context, tool: string): void {
  if (spawnSync(tool, ['--help'], { stdio: 'ignore' }).error === undefined) return;
  if (process.env.CI === 'true') throw new Error(`${tool} is required under CI=true (.ci/run installs it)`);
  console.warn(`\n  !!! SKIPPED: ${tool} is not installed (apt-get install -y ${tool === 'kubectl' ? 'kubernetes-client' : tool})\n`);
  ctx.skip();
}

describe('deploy/kubernetes manifests', function () {
  this.timeout(60_000);
  let api: http.Server;
  let tmp: string;
  let kubeconfig: string;
  let generated: string;

  before(async function () {
    requireTool(this, 'kubectl');
    requireTool(this, 'openssl');
    api = http.createServer((req, res) => {
      const body = discovery((req.url ?? '').split('?')[0]!);
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { kind: 'Status', status: 'Failure', code: 404 }));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-manifests-'));
    kubeconfig = path.join(tmp, 'kubeconfig');
    const server = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 't',
        clusters: [{ name: 't', cluster: { server } }],
        users: [{ name: 't', user: {} }],
        contexts: [{ name: 't', context: { cluster: 't', user: 't' } }],
      }),
    );
    generated = path.join(tmp, 'generated');
    execFileSync(path.join(DEPLOY, 'make-webhook-cert.sh'), [generated], { stdio: 'pipe' });
    const files = ['00-namespace.yaml', '10-admission-deployment.yaml', '20-admission-service.yaml'].map((f) => path.join(DEPLOY, f));
    files.push(path.join(generated, 'admission-tls-secret.yaml'), path.join(generated, '30-validating-webhooks.yaml'));
    for (const f of files) objects.push(...(await kubectl(f)));
  });

  after(() => {
    api?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  // Asynchronous: the discovery server runs in this process.
  const kubectl = async (file: string): Promise<LooseJson[]> => {
    const { stdout } = await promisify(execFile)(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'create', '--dry-run=client', '--validate=false', '-o', 'json', '-f', file],
      {
        encoding: 'utf8',
        env: { ...process.env, HOME: tmp },
      },
    );
    // A file with several documents prints several pretty JSON objects one after another.
    const docs = JSON.parse(`[${stdout.trim().replace(/\n}\s*\n{/g, '\n},\n{')}]`) as LooseJson[];
    return docs.flatMap((d) => (d.kind === 'List' ? d.items : [d]));
  };
  const objects: LooseJson[] = [];
  const all = (): LooseJson[] => objects;
  const find = (objects: LooseJson[], kind: string, name?: string): LooseJson => {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    expect(o, `${kind} ${name ?? ''}`).to.not.equal(undefined);
    return o;
  };

  it('kubectl accepts every manifest', () => {
    const kinds = all().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).to.include.members([
      'Namespace/attestd',
      'Deployment/attestd-admission',
      'PodDisruptionBudget/attestd-admission',
      'Service/attestd-admission',
      'Secret/attestd-admission-tls',
      'ValidatingWebhookConfiguration/kritis-validation-hook.grafeas.io',
      'ValidatingWebhookConfiguration/kritis-validation-hook-deployments.grafeas.io',
    ]);
  });

  it('the Deployment: 2+ replicas, probes, resources, non-root, read-only root filesystem', () => {
    const d = find(all(), 'Deployment');
    expect(d.spec.replicas).to.be.at.least(2);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    expect(c.securityContext.readOnlyRootFilesystem).to.equal(true);
    expect(c.securityContext.allowPrivilegeEscalation).to.equal(false);
    expect(c.readinessProbe.httpGet).to.include({ path: '/readyz', scheme: 'HTTPS' });
    expect(c.livenessProbe.httpGet).to.include({ path: '/healthz', scheme: 'HTTPS' });
    expect(c.resources.requests).to.have.keys('cpu', 'memory');
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
    const env = Object.fromEntries(c.env.map((e: LooseJson) => [e.name, e.value]));
    const svc = find(all(), 'Service');
    expect(svc.spec.selector).to.deep.equal(d.spec.selector.matchLabels);
    expect(Number(env.ADMISSION_DEADLINE_MS)).to.be.below(10_000);
  });

  it('the webhooks: v1 reviews, no side effects, fail closed, a timeout above the internal deadline, the opt-out label', () => {
    const objects = all();
    const ns = find(objects, 'Namespace', 'attestd');
    const pods = find(objects, 'ValidatingWebhookConfiguration', 'kritis-validation-hook.grafeas.io').webhooks[0];
    const workloads = find(objects, 'ValidatingWebhookConfiguration', 'kritis-validation-hook-deployments.grafeas.io').webhooks[0];
    expect(pods.name).to.equal('kritis-validation-hook.grafeas.io');
    expect(workloads.name).to.equal('kritis-validation-hook-deployments.grafeas.io');
    for (const w of [pods, workloads]) {
      expect(w.admissionReviewVersions).to.deep.equal(['v1']);
      expect(w.sideEffects).to.equal('None');
      expect(w.failurePolicy).to.equal('Fail');
      expect(w.timeoutSeconds).to.be.within(6, 30);
      expect(w.clientConfig.service).to.include({ name: 'attestd-admission', namespace: 'attestd', path: '/validate' });
      const optOut = w.namespaceSelector.matchExpressions.find((e: LooseJson) => e.key === 'kritis-validation');
      expect(optOut).to.deep.include({ operator: 'NotIn', values: ['disabled'] });
      expect(ns.metadata.labels['kritis-validation'], "the adapter's own namespace opts out").to.equal('disabled');
      const ca = Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8');
      expect(ca).to.equal(fs.readFileSync(path.join(generated, 'ca.crt'), 'utf8'));
      for (const r of w.rules) expect(r.operations).to.have.members(['CREATE', 'UPDATE']);
    }
    expect(pods.rules.flatMap((r: LooseJson) => r.resources)).to.have.members(['pods', 'pods/ephemeralcontainers']);
    const resources = workloads.rules
      .flatMap((r: LooseJson) => r.apiGroups.map((g: string) => r.resources.map((x: string) => `${g}/${x}`)))
      .flat();
    expect(resources).to.include.members([
      'apps/deployments',
      'apps/replicasets',
      'apps/statefulsets',
      'apps/daemonsets',
      'batch/jobs',
      'batch/cronjobs',
    ]);
  });

  it("the script's certificate serves the webhook: trusted through caBundle under the Service DNS name", async () => {
    const verifier: ImageVerifier = {
      describe: 'none',
      verify: () => Promise.reject(new Error('unused')),
      reportIn: () => Promise.resolve(undefined),
      close: () => undefined,
    };
    const webhook = await startAdmissionWebhook(
      admissionSettings({ ADMISSION_TLS_CERT: path.join(generated, 'tls.crt'), ADMISSION_TLS_KEY: path.join(generated, 'tls.key') }),
      { host: '127.0.0.1', port: 0 },
      verifier,
      silentLogger(),
    );
    expect(webhook.generatedCert).to.equal(false);
    const secret = find(all(), 'Secret');
    const client = new WebhookClient(
      { ...webhook, caBundle: Buffer.from(fs.readFileSync(path.join(generated, 'ca.crt'))).toString('base64') },
      'attestd-admission.attestd.svc',
    );
    try {
      expect((await client.send('GET', '/healthz')).status).to.equal(200);
      expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).to.equal(fs.readFileSync(path.join(generated, 'tls.crt'), 'utf8'));
    } finally {
      client.close();
      await webhook.stop(0);
    }
  });
});

describe('the generated self-signed certificate', () => {
  it('is sha256 with DNS SANs and the IP SAN 127.0.0.1', async function () {
    requireTool(this, 'openssl');
    const tls = await loadOrGenerateTls({});
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: tls.cert, encoding: 'utf8' });
    expect(text).to.contain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).to.match(/IP Address:127\.0\.0\.1/);
    expect(text).to.contain('DNS:attestd-admission.attestd.svc');
  });
});
