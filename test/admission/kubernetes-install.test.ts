import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ADMISSION_FLAGS, CONFIG_FLAGS, loadAdmissionConfig, settingsOf } from '../../src/config';
import { parseFlags } from '../../src/flags';
import type { LooseJson } from '../support/loose-json';

// The kustomize install (deploy/kubernetes as the base, deploy/overlays/{demo,ha}, the cert-manager, opt-in,
// tag-resolution and projected-token components and make-webhook-cert.sh's kustomization) rendered with kubectl, every object validated offline against the
// Kubernetes OpenAPI schemas that kubernetes-models ships (cert-manager's from @kubernetes-models/cert-manager).

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const BASE = path.join(ROOT, 'deploy/kubernetes');

function render(dir: string): LooseJson[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() } });
  return parseAllDocuments(out)
    .map((d) => d.toJSON())
    .filter(Boolean);
}

/** The kubernetes-models module for an apiVersion: core `v1`, `apps/v1`, cert-manager's groups. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('cert-manager.io/')) return `@kubernetes-models/cert-manager/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

async function validate(object: LooseJson): Promise<void> {
  const models = (await import(modelModule(object.apiVersion))) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = models[object.kind];
  expect(Model, `a schema for ${object.apiVersion} ${object.kind}`).to.be.a('function');
  // kustomize folds long base64 values over lines; the API server's base64 decoder skips line breaks, the
  // schema's "byte" format does not.
  const unfolded =
    object.kind === 'Secret' && object.data
      ? {
          ...object,
          data: Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')])),
        }
      : object;
  try {
    new Model!(unfolded).validate();
  } catch (err) {
    throw new Error(`${object.kind}/${object.metadata.name} does not match the Kubernetes schema: ${(err as Error).message}`);
  }
}

const named = (objects: LooseJson[], kind: string, name: string): LooseJson => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  expect(o, `${kind}/${name}`).to.not.equal(undefined);
  return o;
};

/**
 * The settings the adapter container of an install starts with, read by the adapter's own flag parser and
 * configuration (a Secret reference stands in as `<secret NAME/KEY>`).
 */
function adapterSettings(objects: LooseJson[]): ReturnType<typeof loadAdmissionConfig> {
  const c = named(objects, 'Deployment', 'attestd-admission').spec.template.spec.containers[0];
  expect(c.args[0]).to.equal('admission');
  const { values } = parseFlags(c.args.slice(1), { ...CONFIG_FLAGS, ...ADMISSION_FLAGS });
  const env = Object.fromEntries(
    c.env.map((e: LooseJson) => [e.name, e.value ?? `<secret ${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}>`]),
  );
  return loadAdmissionConfig(env, settingsOf(values));
}

describe('the Kubernetes install (kustomize)', function () {
  this.timeout(120_000);
  const installs: Record<string, LooseJson[]> = {};
  let tmp: string;

  before(function () {
    if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error !== undefined) {
      if (process.env.CI === 'true') throw new Error('kubectl is required under CI=true (.ci/run installs kubernetes-client)');
      console.warn('\n  !!! SKIPPED: kubectl is not installed (apt-get install -y kubernetes-client)\n');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-kustomize-'));
    installs.base = render(BASE);
    installs.demo = render(path.join(ROOT, 'deploy/overlays/demo'));
    installs.ha = render(path.join(ROOT, 'deploy/overlays/ha'));
    // The optional components on top of the base: webhook mode OPT_IN, tag resolution, and both.
    const withComponents = (name: string, components: string[], resource = BASE): LooseJson[] => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      const rel = (p: string): string => path.relative(dir, path.join(BASE, p)) || '.';
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${path.relative(dir, resource)}\n` +
          `components:\n${components.map((c) => `  - ${rel(`components/${c}`)}\n`).join('')}`,
      );
      return render(dir);
    };
    installs.optIn = withComponents('opt-in', ['opt-in']);
    installs.tagResolution = withComponents('tag-resolution', ['tag-resolution', 'cert-manager']);
    installs.both = withComponents('both', ['tag-resolution', 'opt-in', 'cert-manager']);
    // The adapter authenticated by a projected service-account token: on the base, with every other component, and
    // on the HA overlay.
    installs.projectedToken = withComponents('projected-token', ['projected-token']);
    installs.everyComponent = withComponents('every-component', ['tag-resolution', 'opt-in', 'cert-manager', 'projected-token']);
    installs.haProjectedToken = withComponents('ha-projected-token', ['projected-token'], path.join(ROOT, 'deploy/overlays/ha'));
    // Without cert-manager: the script's certificates and caBundle on top of the base.
    const generated = path.join(tmp, 'generated');
    execFileSync(path.join(BASE, 'make-webhook-cert.sh'), [generated], { stdio: 'pipe' });
    installs.script = render(generated);
    // The script's kustomization with the optional components added, as the script's header says.
    fs.appendFileSync(
      path.join(generated, 'kustomization.yaml'),
      `components:\n${['tag-resolution', 'opt-in'].map((c) => `  - ${path.relative(generated, path.join(BASE, 'components', c))}\n`).join('')}`,
    );
    installs.scriptWithComponents = render(generated);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the base lists every manifest of deploy/kubernetes', () => {
    const listed = fs.readFileSync(path.join(BASE, 'kustomization.yaml'), 'utf8');
    for (const f of fs.readdirSync(BASE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
      expect(listed, `add ${f} to deploy/kubernetes/kustomization.yaml's resources`).to.include(`- ${f}`);
    }
  });

  it('every rendered object of every install matches the Kubernetes OpenAPI schemas', async () => {
    for (const [name, objects] of Object.entries(installs)) {
      expect(objects.length, name).to.be.greaterThan(5);
      for (const o of objects) await validate(o);
    }
  });

  it('serve and adapter Deployments: replicas, probes, resources, hardening, spread, disruption budgets, Services', () => {
    for (const [install, min] of [
      ['base', 2],
      ['ha', 3],
      ['demo', 1],
    ] as const) {
      const objects = installs[install]!;
      for (const name of ['attestd', 'attestd-admission']) {
        const d = named(objects, 'Deployment', name);
        expect(d.spec.replicas, `${install} ${name}`).to.be.at.least(min);
        const pod = d.spec.template.spec;
        expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.securityContext.runAsUser).to.equal(10001);
        expect(pod.topologySpreadConstraints.map((t: LooseJson) => t.topologyKey)).to.include('kubernetes.io/hostname');
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          expect(c.securityContext).to.deep.include({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          });
          expect(c.resources.requests).to.have.keys('cpu', 'memory');
          expect(c.resources.limits).to.have.keys('cpu', 'memory');
        }
        const c = pod.containers[0];
        expect(c.readinessProbe.httpGet.path).to.equal('/readyz');
        expect(c.livenessProbe.httpGet.path).to.equal('/healthz');
        const pdb = named(objects, 'PodDisruptionBudget', name);
        expect(pdb.spec.selector.matchLabels).to.deep.equal(d.spec.selector.matchLabels);
        const svc = named(objects, 'Service', name);
        expect(svc.spec.selector).to.deep.equal(d.spec.selector.matchLabels);
      }
    }
    const ha = installs.ha!;
    expect(named(ha, 'PodDisruptionBudget', 'attestd').spec.minAvailable).to.equal(2);
    expect(named(ha, 'Deployment', 'attestd').spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable).to.equal('DoNotSchedule');
  });

  it('migrations run before a rollout: an init container runs `attestd migrate`, the servers never migrate', () => {
    const pod = named(installs.base!, 'Deployment', 'attestd').spec.template.spec;
    expect(pod.initContainers[0].args).to.deep.equal(['migrate']);
    const env = Object.fromEntries(pod.containers[0].env.map((e: LooseJson) => [e.name, e.value ?? e.valueFrom.secretKeyRef.name]));
    expect(env).to.include({
      MIGRATE_ON_START: 'false',
      DATABASE_URL: 'attestd-database',
      MASTER_KEY: 'attestd-master-key',
      JWT_SECRET: 'attestd-jwt',
    });
  });

  it('the webhooks: fail closed, v1, no side effects, a timeout above the adapter deadline, kube-system and attestd exempt', () => {
    const adapter = named(installs.base!, 'Deployment', 'attestd-admission').spec.template.spec.containers[0];
    const deadline = Number(adapter.env.find((e: LooseJson) => e.name === 'ADMISSION_DEADLINE_MS').value);
    const webhooks = installs.base!.filter((o) => o.kind === 'ValidatingWebhookConfiguration').flatMap((o) => o.webhooks);
    expect(webhooks).to.have.length.greaterThan(0);
    for (const w of webhooks) {
      expect(w).to.deep.include({ failurePolicy: 'Fail', sideEffects: 'None', admissionReviewVersions: ['v1'] });
      expect(w.timeoutSeconds * 1000).to.be.greaterThan(deadline);
      const exempt = w.namespaceSelector.matchExpressions.find((e: LooseJson) => e.key === 'kubernetes.io/metadata.name');
      expect(exempt.operator).to.equal('NotIn');
      expect(exempt.values).to.include.members(['kube-system', 'attestd']);
    }
    const kinds = webhooks.flatMap((w: LooseJson) => w.rules.flatMap((r: LooseJson) => r.resources));
    expect(kinds).to.include.members([
      'pods',
      'deployments',
      'replicasets',
      'statefulsets',
      'daemonsets',
      'jobs',
      'cronjobs',
      'replicationcontrollers',
      'podtemplates',
    ]);
  });

  it('webhook modes: OPT_OUT (the base) exempts namespaces, components/opt-in covers only attestd.io/enforce: "true"', () => {
    const webhooksOf = (install: string): LooseJson[] =>
      installs[install]!.filter((o) => o.kind.endsWith('WebhookConfiguration')).flatMap((o) => o.webhooks);
    for (const w of webhooksOf('base')) {
      expect(w.namespaceSelector.matchLabels, w.name).to.equal(undefined);
      expect(w.namespaceSelector.matchExpressions).to.deep.include({ key: 'kritis-validation', operator: 'NotIn', values: ['disabled'] });
    }
    for (const install of ['optIn', 'both']) {
      const webhooks = webhooksOf(install);
      expect(webhooks.length, install).to.equal(install === 'both' ? 3 : 2);
      for (const w of webhooks) {
        expect(w.namespaceSelector.matchLabels, `${install} ${w.name}`).to.deep.equal({ 'attestd.io/enforce': 'true' });
        expect(w.namespaceSelector.matchExpressions).to.deep.equal([
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'attestd'] },
        ]);
        if (w.clientConfig.service.path === '/validate') expect(w.failurePolicy).to.equal('Fail');
      }
    }
  });

  it('components/tag-resolution: a mutating webhook on /mutate that never blocks, the adapter with ADMISSION_MUTATE and registry credentials', () => {
    for (const install of ['tagResolution', 'both']) {
      const objects = installs[install]!;
      const mutating = objects.filter((o) => o.kind === 'MutatingWebhookConfiguration');
      expect(mutating, install).to.have.length(1);
      const config = mutating[0];
      expect(config.metadata.annotations['cert-manager.io/inject-ca-from']).to.equal('attestd/attestd-admission');
      const w = config.webhooks[0];
      expect(w).to.deep.include({ failurePolicy: 'Ignore', sideEffects: 'None', admissionReviewVersions: ['v1'] });
      expect(w.clientConfig.service).to.deep.include({ name: 'attestd-admission', namespace: 'attestd', path: '/mutate' });
      const adapter = named(objects, 'Deployment', 'attestd-admission').spec.template.spec;
      const env = Object.fromEntries(adapter.containers[0].env.map((e: LooseJson) => [e.name, e.value]));
      expect(env).to.include({ ADMISSION_MUTATE: 'true', REGISTRY_AUTH_FILE: '/registry-auth/.dockerconfigjson' });
      expect(w.timeoutSeconds * 1000).to.be.greaterThan(Number(env.ADMISSION_RESOLVE_TIMEOUT_MS));
      expect(adapter.containers[0].volumeMounts).to.deep.include({ name: 'registry-auth', mountPath: '/registry-auth', readOnly: true });
      expect(adapter.volumes).to.deep.include({ name: 'registry-auth', secret: { secretName: 'attestd-registry-auth' } });
      expect(named(objects, 'NetworkPolicy', 'attestd-admission').spec.egress).to.deep.include({ ports: [{ port: 443, protocol: 'TCP' }] });
      // Pods only at CREATE (an UPDATE that rewrote a running pod's image would restart it); every kind the validating
      // webhooks check.
      const pods = w.rules.find((r: LooseJson) => r.resources.includes('pods'));
      expect(pods.operations).to.deep.equal(['CREATE']);
      const validating = objects
        .filter((o) => o.kind === 'ValidatingWebhookConfiguration')
        .flatMap((o) => o.webhooks.flatMap((x: LooseJson) => x.rules.flatMap((r: LooseJson) => r.resources)));
      expect(w.rules.flatMap((r: LooseJson) => r.resources)).to.have.members(validating);
    }
    expect(installs.base!.filter((o) => o.kind === 'MutatingWebhookConfiguration')).to.deep.equal([]);
  });

  it('components/projected-token: the adapter reads a projected service-account token (audience attestd) with --token-file, no Secret', () => {
    // Without the component: the long-lived token from the Secret.
    const base = adapterSettings(installs.base!);
    expect(base).to.include({ token: '<secret attestd-admission-token/token>', tokenFile: undefined });
    for (const install of ['projectedToken', 'everyComponent', 'haProjectedToken']) {
      const objects = installs[install]!;
      const sa = named(objects, 'ServiceAccount', 'attestd-admission');
      expect(sa.metadata.namespace, install).to.equal('attestd');
      expect(sa.automountServiceAccountToken).to.equal(false);
      const deployment = named(objects, 'Deployment', 'attestd-admission');
      expect(deployment.metadata.namespace).to.equal('attestd');
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).to.equal('attestd-admission');
      expect(pod.automountServiceAccountToken).to.equal(false);
      // The projected token: audience attestd, short-lived (Kubernetes accepts 10 min at least).
      const projected = pod.volumes.filter((v: LooseJson) => v.projected);
      expect(projected, install).to.have.length(1);
      const volume = projected[0];
      expect(volume.projected.sources).to.have.length(1);
      const token = volume.projected.sources[0].serviceAccountToken;
      expect(token.audience).to.equal('attestd');
      expect(token.expirationSeconds).to.be.within(600, 3600);
      const c = pod.containers[0];
      const mounts = c.volumeMounts.filter((m: LooseJson) => m.name === volume.name);
      expect(mounts).to.have.length(1);
      expect(mounts[0].readOnly).to.equal(true);
      // The adapter's own configuration names exactly the file the kubelet writes (a missing file stops the adapter).
      const settings = adapterSettings(objects);
      expect(settings.token, install).to.equal(undefined);
      expect(settings.tokenFile).to.equal(path.posix.join(mounts[0].mountPath, token.path));
      expect(c.args).to.include('--token-file');
      // Nothing of the long-lived token remains in the adapter.
      const names = c.env.map((e: LooseJson) => e.name);
      expect(names).to.not.include('ATTESTD_TOKEN');
      expect(names).to.not.include('ATTESTD_TOKEN_FILE');
      expect(JSON.stringify(deployment), install).to.not.include('attestd-admission-token');
      expect(objects.some((o) => o.kind === 'Secret' && o.metadata.name.startsWith('attestd-admission-token'))).to.equal(false);
    }
    // The rest of the adapter is untouched: the HA overlay keeps its replicas, the other components their settings.
    expect(named(installs.haProjectedToken!, 'Deployment', 'attestd-admission').spec.replicas).to.equal(3);
    expect(adapterSettings(installs.everyComponent!)).to.include({ mutate: true, project: 'p1', cluster: 'c1' });
  });

  it('webhook TLS both ways: cert-manager injects the CA, the script sets caBundle and the Secrets', () => {
    for (const install of ['demo', 'ha']) {
      const objects = installs[install]!;
      for (const w of objects.filter((o) => o.kind === 'ValidatingWebhookConfiguration')) {
        expect(w.metadata.annotations['cert-manager.io/inject-ca-from']).to.equal('attestd/attestd-admission');
      }
      expect(named(objects, 'Certificate', 'attestd-admission').spec.secretName).to.equal('attestd-admission-tls');
      expect(named(objects, 'Certificate', 'attestd-server').spec.secretName).to.equal('attestd-server-tls');
    }
    const script = installs.script!;
    const ca = fs.readFileSync(path.join(tmp, 'generated', 'ca.crt'));
    for (const w of script.filter((o) => o.kind === 'ValidatingWebhookConfiguration')) {
      expect(Buffer.from(w.webhooks[0].clientConfig.caBundle, 'base64').equals(ca)).to.equal(true);
    }
    const withComponents = installs.scriptWithComponents!.filter((o) => o.kind.endsWith('WebhookConfiguration'));
    expect(withComponents.map((o) => o.kind)).to.include('MutatingWebhookConfiguration');
    for (const w of withComponents) {
      expect(Buffer.from(w.webhooks[0].clientConfig.caBundle, 'base64').equals(ca), w.metadata.name).to.equal(true);
      expect(w.webhooks[0].namespaceSelector.matchLabels).to.deep.equal({ 'attestd.io/enforce': 'true' });
    }
    for (const s of ['attestd-admission-tls', 'attestd-server-tls'])
      expect(named(script, 'Secret', s).data).to.have.keys('ca.crt', 'tls.crt', 'tls.key');
  });

  it('Secrets and NetworkPolicies: the demo generates its Secrets; the base and HA never hold or overwrite yours', () => {
    for (const s of ['attestd-database', 'attestd-master-key', 'attestd-jwt']) {
      expect(installs.demo!.some((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`${s}-`))).to.equal(true);
    }
    expect(installs.base!.filter((o) => o.kind === 'Secret')).to.deep.equal([]);
    expect(installs.ha!.filter((o) => o.kind === 'Secret')).to.deep.equal([]);
    for (const name of ['attestd', 'attestd-admission'])
      expect(named(installs.base!, 'NetworkPolicy', name).spec.podSelector.matchLabels).to.have.property('app.kubernetes.io/name', name);
  });
});
