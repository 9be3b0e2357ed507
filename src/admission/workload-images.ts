import { isObject, type AdmissionRequest } from './admission-review';

/** The annotation that asks for break-glass admission (Kritis' name). */
export const BREAKGLASS_ANNOTATION = 'kritis.grafeas.io/breakglass';

/** What a review asks the adapter to check. */
export type Workload =
  /** Images to verify, first appearance order, duplicates removed. */
  | { readonly type: 'images'; readonly images: readonly string[]; readonly breakglass: boolean }
  /** Nothing to check: admit (with the warning, if any). */
  | { readonly type: 'skip'; readonly warning?: string }
  /** A workload the adapter cannot read: deny with this message, never admit by accident. */
  | { readonly type: 'malformed'; readonly message: string };

/** One container's image and where it sits in the object, as a JSON Pointer (`/spec/template/spec/containers/0/image`). */
export interface ContainerImage {
  readonly list: (typeof CONTAINER_LISTS)[number];
  readonly pointer: string;
  readonly image: string;
}

/** The containers of a review's object, in order (what {@link workloadOf} and the mutating webhook both read). */
export type WorkloadContainers =
  | { readonly type: 'containers'; readonly containers: readonly ContainerImage[]; readonly breakglass: boolean }
  | Exclude<Workload, { type: 'images' }>;

/** Where each kind keeps its pod template: the path from the object to the object holding `spec`. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/Pod': [],
  'apps/Deployment': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'extensions/Deployment': ['spec', 'template'],
  'extensions/ReplicaSet': ['spec', 'template'],
  'extensions/DaemonSet': ['spec', 'template'],
  '/ReplicationController': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
  '/PodTemplate': ['template'],
};

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** The images a review's object would run, chosen by `request.kind` (never by the object's own claims). */
export function workloadOf(request: AdmissionRequest): Workload {
  const walked = workloadContainers(request);
  if (walked.type !== 'containers') return walked;
  const images: string[] = [];
  for (const c of walked.containers) if (!images.includes(c.image)) images.push(c.image);
  return { type: 'images', images, breakglass: walked.breakglass };
}

/** Every container of a review's object with its image and JSON Pointer, chosen by `request.kind`. */
export function workloadContainers(request: AdmissionRequest): WorkloadContainers {
  if (request.operation === 'DELETE' || request.operation === 'CONNECT') return { type: 'skip' };
  const gvk = request.kind;
  const path = TEMPLATE_PATHS[`${gvk.group}/${gvk.kind}`];
  if (!path) {
    const name = `${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind || '(no kind)'}`;
    return { type: 'skip', warning: `attestd does not inspect ${name.slice(0, 60)}; admitted unchecked` };
  }
  if (!request.namespace) return { type: 'malformed', message: `request.namespace is missing for a ${gvk.kind}` };
  const object = request.object;
  if (!isObject(object))
    return { type: 'malformed', message: `request.object is missing or not an object for a ${gvk.kind} ${request.operation}` };
  let holder: unknown = object;
  const walked: string[] = [];
  for (const key of path) {
    walked.push(key);
    holder = isObject(holder) ? holder[key] : undefined;
    if (!isObject(holder)) return { type: 'malformed', message: `${gvk.kind} has no pod template at ${walked.join('.')}` };
  }
  const where = path.length ? `${path.join('.')}.spec` : 'spec';
  const spec = (holder as Record<string, unknown>).spec;
  if (!isObject(spec)) return { type: 'malformed', message: `${gvk.kind} has no pod spec at ${where}` };
  const containers: ContainerImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const entries = spec[list];
    if (entries === undefined || entries === null) continue;
    if (!Array.isArray(entries)) return { type: 'malformed', message: `${where}.${list} must be a list` };
    for (const [i, c] of entries.entries()) {
      const image = isObject(c) ? c.image : undefined;
      if (typeof image !== 'string' || image.trim() === '') {
        return { type: 'malformed', message: `${where}.${list}[${i}] has no image` };
      }
      containers.push({ list, pointer: `/${[...path, 'spec', list, String(i), 'image'].join('/')}`, image });
    }
  }
  if (containers.length === 0) return { type: 'malformed', message: `${gvk.kind} has no containers at ${where}` };
  return { type: 'containers', containers, breakglass: breakglassRequested(object) || breakglassRequested(holder) };
}

function breakglassRequested(o: unknown): boolean {
  const metadata = isObject(o) ? o.metadata : undefined;
  const annotations = isObject(metadata) ? metadata.annotations : undefined;
  return isObject(annotations) && annotations[BREAKGLASS_ANNOTATION] === 'true';
}
