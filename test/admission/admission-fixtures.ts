import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LooseJson } from '../support/loose-json';

/** test/fixtures/kubernetes, from dist/test/admission or test/admission. */
export const FIXTURES = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../test/fixtures/kubernetes' : '../fixtures/kubernetes',
);

/** The digest of the scenario's alpine image. */
export const DIGEST = 'sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45';
/** The signing-enabled registry repository of the scenario. */
export const SIGNED_REPO = '127.0.0.1:5000/kritis-demo/alpine';

type Json = Record<string, LooseJson>;

/** A fixture file, parsed. */
export function fixture(name: string): Json {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Json;
}

/** A random digest no attestation exists for. */
export function randomDigest(): string {
  return `sha256:${crypto.randomBytes(32).toString('hex')}`;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The pod template (metadata + spec) of kubectl's Deployment fixture with `images` as its containers. */
export function podTemplate(images: readonly string[], extra: { initImages?: string[]; annotations?: Record<string, string> } = {}): Json {
  const t = clone(fixture('kubectl-deployment-tag.json').spec.template);
  const base = t.spec.containers[0];
  t.spec.containers = images.map((image, i) => ({ ...clone(base), name: `c${i}`, image }));
  if (extra.initImages) t.spec.initContainers = extra.initImages.map((image, i) => ({ name: `init${i}`, image, resources: {} }));
  if (extra.annotations) t.metadata.annotations = extra.annotations;
  return t;
}

/** Kinds the adapter checks: request.kind, and an object of that kind running `images`. */
export interface KindCase {
  readonly desc: string;
  readonly gvk: { group: string; version: string; kind: string };
  readonly resource: string;
  readonly subResource?: string;
  readonly operation?: string;
  readonly object: (images: readonly string[]) => Json;
}

const meta = (name: string): Json => ({ name, namespace: 'default', labels: { app: name } });

/** Every workload kind, built from real kubectl output where kubectl can make it client-side. */
export const KIND_CASES: readonly KindCase[] = [
  {
    desc: 'Pod (kubectl run)',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    resource: 'pods',
    object: (images) => {
      const p = fixture('kubectl-pod-tag.json');
      p.spec.containers = images.map((image, i) => ({ ...p.spec.containers[0], name: `c${i}`, image }));
      return p;
    },
  },
  {
    desc: 'Pod with the images only in initContainers',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    resource: 'pods',
    object: (images) => {
      const p = fixture('kubectl-pod-tag.json');
      p.spec.initContainers = images.map((image, i) => ({ name: `init${i}`, image }));
      p.spec.containers[0].image = `${SIGNED_REPO}@${DIGEST}`;
      return p;
    },
  },
  {
    desc: 'kubectl debug: UPDATE of pods/ephemeralcontainers',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    resource: 'pods',
    subResource: 'ephemeralcontainers',
    operation: 'UPDATE',
    object: (images) => {
      const p = fixture('kubectl-pod-tag.json');
      p.spec.containers[0].image = `${SIGNED_REPO}@${DIGEST}`;
      p.spec.ephemeralContainers = images.map((image, i) => ({ name: `debugger-${i}`, image, stdin: true, tty: true }));
      return p;
    },
  },
  {
    desc: 'Deployment (kubectl create deployment)',
    gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: 'deployments',
    object: (images) => ({
      ...fixture('kubectl-deployment-tag.json'),
      spec: { ...fixture('kubectl-deployment-tag.json').spec, template: podTemplate(images) },
    }),
  },
  ...(['ReplicaSet', 'StatefulSet', 'DaemonSet'] as const).map((kind) => ({
    desc: `${kind} (apps/v1)`,
    gvk: { group: 'apps', version: 'v1', kind },
    resource: `${kind.toLowerCase()}s`,
    object: (images: readonly string[]) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: meta('w'),
      spec: { selector: { matchLabels: { app: 'not-sign' } }, template: podTemplate(images) },
    }),
  })),
  {
    desc: 'ReplicationController (v1)',
    gvk: { group: '', version: 'v1', kind: 'ReplicationController' },
    resource: 'replicationcontrollers',
    object: (images) => ({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: meta('rc'),
      spec: { replicas: 1, template: podTemplate(images) },
    }),
  },
  {
    desc: 'Job (kubectl create job)',
    gvk: { group: 'batch', version: 'v1', kind: 'Job' },
    resource: 'jobs',
    object: (images) => {
      const j = fixture('kubectl-job-tag.json');
      j.spec.template.spec.containers = images.map((image, i) => ({ ...j.spec.template.spec.containers[0], name: `c${i}`, image }));
      return j;
    },
  },
  ...(['v1', 'v1beta1'] as const).map((version) => ({
    desc: `CronJob batch/${version} (kubectl create cronjob)`,
    gvk: { group: 'batch', version, kind: 'CronJob' },
    resource: 'cronjobs',
    object: (images: readonly string[]) => {
      const c = fixture('kubectl-cronjob-digest.json');
      c.apiVersion = `batch/${version}`;
      const spec = c.spec.jobTemplate.spec.template.spec;
      spec.containers = images.map((image, i) => ({ ...spec.containers[0], name: `c${i}`, image }));
      return c;
    },
  })),
  {
    desc: 'PodTemplate (v1)',
    gvk: { group: '', version: 'v1', kind: 'PodTemplate' },
    resource: 'podtemplates',
    object: (images) => ({ apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('pt'), template: podTemplate(images) }),
  },
];

/** Wraps an object as kube-apiserver sends it to a validating webhook (as admissionreview-deployment-tag.json). */
export function admissionReview(
  object: Json | undefined,
  options: {
    gvk?: KindCase['gvk'];
    resource?: string;
    subResource?: string;
    namespace?: string;
    operation?: string;
    uid?: string;
    dryRun?: boolean;
  } = {},
): Json {
  const template = fixture('admissionreview-deployment-tag.json');
  const gvk = options.gvk ?? template.request.kind;
  const resource = { group: gvk.group, version: gvk.version, resource: options.resource ?? template.request.resource.resource };
  const request: Json = {
    ...template.request,
    uid: options.uid ?? crypto.randomUUID(),
    kind: gvk,
    resource,
    requestKind: gvk,
    requestResource: resource,
    name: object?.metadata?.name ?? '',
    namespace: options.namespace ?? 'default',
    operation: options.operation ?? 'CREATE',
    object,
    dryRun: options.dryRun ?? false,
  };
  if (options.subResource) {
    request.subResource = options.subResource;
    request.requestSubResource = options.subResource;
  }
  if (object === undefined) delete request.object;
  return { ...template, request };
}

/** A Deployment review (the scenario's `kubectl create deployment`) running `images` in `namespace`. */
export function deploymentReview(images: readonly string[], namespace = 'default', annotations?: Record<string, string>): Json {
  const d = fixture('kubectl-deployment-tag.json');
  d.metadata.namespace = namespace;
  if (annotations) d.metadata.annotations = annotations;
  d.spec.template = podTemplate(images);
  return admissionReview(d, { namespace });
}
