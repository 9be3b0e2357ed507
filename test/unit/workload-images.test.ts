import { expect } from 'chai';
import { parseAdmissionReview } from '../../src/admission/admission-review';
import { BREAKGLASS_ANNOTATION, workloadOf, type Workload } from '../../src/admission/workload-images';
import { admissionReview, fixture, KIND_CASES, podTemplate } from '../admission/admission-fixtures';

type Json = ReturnType<typeof fixture>;

/** The workload a review of `object` asks about, through the same envelope parsing the webhook does. */
function workload(object: Json | undefined, options: Parameters<typeof admissionReview>[1] = {}): Workload {
  return workloadOf(parseAdmissionReview(admissionReview(object, options)));
}

const deployment = (template: Json): Json => ({
  ...fixture('kubectl-deployment-tag.json'),
  spec: { ...fixture('kubectl-deployment-tag.json').spec, template },
});
const APPS = { group: 'apps', version: 'v1', kind: 'Deployment' };

/** Which images a workload runs: every kind, every container list, and the malformed ones denied (no store, no server). */
describe('workload images', () => {
  describe('every workload kind, from kubectl output', () => {
    for (const k of KIND_CASES) {
      it(k.desc, () => {
        const images = ['registry.example.com/ns/a:1', 'registry.example.com/ns/b@sha256:' + 'b'.repeat(64)];
        const got = workload(k.object(images), { gvk: k.gvk, resource: k.resource, subResource: k.subResource, operation: k.operation });
        expect(got.type).to.equal('images');
        if (got.type !== 'images') return;
        for (const image of images) expect(got.images).to.include(image);
        expect(got.breakglass).to.equal(false);
      });
    }
  });

  const cases: { desc: string; object: () => Json | undefined; options?: Parameters<typeof admissionReview>[1]; want: Workload }[] = [
    {
      desc: 'init, regular and ephemeral containers, in that order, each image once',
      object: () => {
        const t = podTemplate(['app:1', 'sidecar:2', 'app:1'], { initImages: ['init:1', 'app:1'] });
        t.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36' }];
        return deployment(t);
      },
      options: { gvk: APPS },
      want: { type: 'images', images: ['init:1', 'app:1', 'sidecar:2', 'busybox:1.36'], breakglass: false },
    },
    {
      desc: 'break-glass asked on the workload',
      object: () => ({ ...deployment(podTemplate(['app:1'])), metadata: { name: 'd', annotations: { [BREAKGLASS_ANNOTATION]: 'true' } } }),
      options: { gvk: APPS },
      want: { type: 'images', images: ['app:1'], breakglass: true },
    },
    {
      desc: 'break-glass asked on the pod template',
      object: () => deployment(podTemplate(['app:1'], { annotations: { [BREAKGLASS_ANNOTATION]: 'true' } })),
      options: { gvk: APPS },
      want: { type: 'images', images: ['app:1'], breakglass: true },
    },
    {
      desc: 'break-glass annotation not exactly "true"',
      object: () => deployment(podTemplate(['app:1'], { annotations: { [BREAKGLASS_ANNOTATION]: 'yes' } })),
      options: { gvk: APPS },
      want: { type: 'images', images: ['app:1'], breakglass: false },
    },
    {
      desc: 'the kind comes from request.kind, never from the object',
      object: () => ({ ...fixture('kubectl-pod-tag.json'), kind: 'ConfigMap' }),
      options: { gvk: { group: '', version: 'v1', kind: 'Pod' } },
      want: { type: 'images', images: ['alpine:3.11'], breakglass: false },
    },
    { desc: 'DELETE is not checked', object: () => undefined, options: { operation: 'DELETE' }, want: { type: 'skip' } },
    {
      desc: 'CONNECT is not checked',
      object: () => fixture('kubectl-pod-tag.json'),
      options: { operation: 'CONNECT', gvk: { group: '', version: 'v1', kind: 'Pod' } },
      want: { type: 'skip' },
    },
    {
      desc: 'a kind attestd does not inspect is admitted with a warning',
      object: () => ({ apiVersion: 'v1', kind: 'ConfigMap', data: {} }),
      options: { gvk: { group: '', version: 'v1', kind: 'ConfigMap' } },
      want: { type: 'skip', warning: 'attestd does not inspect v1/ConfigMap; admitted unchecked' },
    },
    {
      desc: 'a Deployment of another API group is not a Deployment',
      object: () => deployment(podTemplate(['app:1'])),
      options: { gvk: { group: 'example.com', version: 'v1', kind: 'Deployment' } },
      want: { type: 'skip', warning: 'attestd does not inspect example.com/v1/Deployment; admitted unchecked' },
    },
    {
      desc: 'no namespace',
      object: () => fixture('kubectl-pod-tag.json'),
      options: { gvk: { group: '', version: 'v1', kind: 'Pod' }, namespace: '' },
      want: { type: 'malformed', message: 'request.namespace is missing for a Pod' },
    },
    {
      desc: 'no object',
      object: () => undefined,
      options: { gvk: APPS },
      want: { type: 'malformed', message: 'request.object is missing or not an object for a Deployment CREATE' },
    },
    {
      desc: 'no pod template',
      object: () => ({ ...fixture('kubectl-deployment-tag.json'), spec: { replicas: 1 } }),
      options: { gvk: APPS },
      want: { type: 'malformed', message: 'Deployment has no pod template at spec.template' },
    },
    {
      desc: 'a CronJob without its job template',
      object: () => ({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '* * * * *' } }),
      options: { gvk: { group: 'batch', version: 'v1', kind: 'CronJob' } },
      want: { type: 'malformed', message: 'CronJob has no pod template at spec.jobTemplate' },
    },
    {
      desc: 'no pod spec',
      object: () => deployment({ metadata: {} }),
      options: { gvk: APPS },
      want: { type: 'malformed', message: 'Deployment has no pod spec at spec.template.spec' },
    },
    {
      desc: 'containers that are not a list',
      object: () => deployment({ spec: { containers: { image: 'app:1' } } }),
      options: { gvk: APPS },
      want: { type: 'malformed', message: 'spec.template.spec.containers must be a list' },
    },
    {
      desc: 'an init container without an image',
      object: () => deployment({ spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'c', image: 'app:1' }] } }),
      options: { gvk: APPS },
      want: { type: 'malformed', message: 'spec.template.spec.initContainers[0] has no image' },
    },
    {
      desc: 'an ephemeral container with a blank image',
      object: () => ({
        ...fixture('kubectl-pod-tag.json'),
        spec: { containers: [{ name: 'c', image: 'a:1' }], ephemeralContainers: [{ name: 'e', image: '  ' }] },
      }),
      options: { gvk: { group: '', version: 'v1', kind: 'Pod' }, operation: 'UPDATE', subResource: 'ephemeralcontainers' },
      want: { type: 'malformed', message: 'spec.ephemeralContainers[0] has no image' },
    },
    {
      desc: 'no containers at all',
      object: () => deployment({ spec: { containers: [], initContainers: null } }),
      options: { gvk: APPS },
      want: { type: 'malformed', message: 'Deployment has no containers at spec.template.spec' },
    },
  ];
  for (const c of cases) it(c.desc, () => expect(workload(c.object(), c.options)).to.deep.equal(c.want));
});
