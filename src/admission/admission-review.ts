/** The admission.k8s.io/v1 AdmissionReview envelope: what the API server sends and what it accepts back. */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

/** Group/version/kind as Kubernetes writes it in `request.kind`. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The parts of `request` the adapter reads. `object` is left untyped: workloads are checked field by field. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly subResource: string;
  readonly name: string;
  readonly namespace: string;
  readonly operation: string;
  readonly username: string;
  readonly dryRun: boolean;
  readonly object: unknown;
}

/** The `response` the API server reads. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** Mutating webhooks: a base64 RFC 6902 JSON Patch of the object. */
  patchType?: 'JSONPatch';
  patch?: string;
}

/** A whole AdmissionReview answer. */
export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

/** A body that is not an AdmissionReview the adapter can answer: HTTP 400 with this message. */
export class BadReviewError extends Error {}

/** Checks the envelope of a decoded body; the workload inside is checked later (a bad one is a denial, not a 400). */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new BadReviewError('body must be a JSON object: an admission.k8s.io/v1 AdmissionReview');
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    throw new BadReviewError(
      `apiVersion must be "${ADMISSION_API_VERSION}", got ${describe(body.apiVersion)} (set admissionReviewVersions: [v1])`,
    );
  }
  if (body.kind !== ADMISSION_KIND) throw new BadReviewError(`kind must be "${ADMISSION_KIND}", got ${describe(body.kind)}`);
  const request = body.request;
  if (!isObject(request)) throw new BadReviewError('request is missing: an AdmissionReview sent to a webhook carries a request');
  if (typeof request.uid !== 'string' || request.uid === '') throw new BadReviewError('request.uid is missing or not a string');
  if (request.uid.length > 256) throw new BadReviewError('request.uid is longer than 256 characters');
  const kind = isObject(request.kind) ? request.kind : {};
  const userInfo = isObject(request.userInfo) ? request.userInfo : {};
  return {
    uid: request.uid,
    kind: { group: text(kind.group), version: text(kind.version), kind: text(kind.kind) },
    subResource: text(request.subResource),
    name: text(request.name),
    namespace: text(request.namespace),
    operation: text(request.operation),
    username: text(userInfo.username),
    dryRun: request.dryRun === true,
    object: request.object,
  };
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? typeof v;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
