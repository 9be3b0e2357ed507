import type { Logger } from '../logger';
import { MAX_IMAGES } from '../verification/verification-service';
import {
  ADMISSION_API_VERSION,
  ADMISSION_KIND,
  parseAdmissionReview,
  type AdmissionResponse,
  type AdmissionReviewResponse,
} from './admission-review';
import { short } from './admission-handler';
import type { AdmissionMetrics } from './admission-metrics';
import { ResolveDeadline, type TagResolution, type TagResolver } from './tag-resolver';
import { workloadContainers } from './workload-images';

/** The least time tags are given, whatever the API server's own timeout says. */
const MIN_DEADLINE_MS = 100;
const MAX_WARNINGS = 20;

/** One JSON Patch operation (RFC 6902) of the answer. */
interface PatchOperation {
  readonly op: 'test' | 'replace';
  readonly path: string;
  readonly value: string;
}

/**
 * Answers the mutating webhook (`POST /mutate`): pins every `repo:tag` image of the workload to the digest the
 * registry says the tag names (`repo:tag@sha256:…`) with a JSON Patch. It always admits: an image it cannot resolve
 * is left as written, with a warning, for the validating webhook to judge (and deny as a tag). See ADR 0065.
 */
export class MutationHandler {
  constructor(
    private readonly resolver: TagResolver,
    private readonly options: { readonly deadlineMs: number },
    private readonly logger: Logger,
    private readonly metrics?: AdmissionMetrics,
  ) {}

  /** Answers a decoded body; throws BadReviewError (HTTP 400) when it is not an AdmissionReview. */
  async review(body: unknown, apiServerTimeoutMs?: number): Promise<AdmissionReviewResponse> {
    const request = parseAdmissionReview(body);
    const response: AdmissionResponse = { uid: request.uid, allowed: true };
    const walked = workloadContainers(request);
    if (walked.type !== 'containers') return envelope(response);
    // Through pods/ephemeralcontainers only the ephemeral containers change; the rest of the pod is not the request's.
    const containers =
      request.subResource === 'ephemeralcontainers' ? walked.containers.filter((c) => c.list === 'ephemeralContainers') : walked.containers;
    const images = [...new Set(containers.map((c) => c.image))];
    if (images.length === 0 || images.length > MAX_IMAGES) return envelope(response);
    const deadlineMs = Math.max(
      MIN_DEADLINE_MS,
      Math.min(this.options.deadlineMs, apiServerTimeoutMs !== undefined ? apiServerTimeoutMs - 1000 : Infinity),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ResolveDeadline(`the registry did not answer within ${deadlineMs} ms`)), deadlineMs);
    });
    deadline.catch(() => undefined);
    let resolutions: Map<string, TagResolution>;
    try {
      resolutions = new Map(await Promise.all(images.map(async (i) => [i, await this.resolver.resolve(i, deadline)] as const)));
    } finally {
      clearTimeout(timer);
    }
    const patch: PatchOperation[] = [];
    for (const c of containers) {
      const r = resolutions.get(c.image);
      if (r?.type !== 'resolved') continue;
      patch.push({ op: 'test', path: c.pointer, value: c.image }, { op: 'replace', path: c.pointer, value: r.image });
    }
    const warnings: string[] = [];
    const pinned: string[] = [];
    const left: Array<{ image: string; reason: string }> = [];
    for (const [image, r] of resolutions) {
      this.metrics?.tagResolutions.inc({ outcome: r.type });
      if (r.type === 'resolved') pinned.push(r.image);
      if (r.type === 'unresolved') {
        left.push({ image, reason: r.reason });
        warnings.push(short(`${image} left unchanged (tag not resolved: ${r.reason})`));
      }
    }
    if (patch.length) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
    }
    if (warnings.length) response.warnings = warnings.slice(0, MAX_WARNINGS);
    if (pinned.length || left.length) {
      response.auditAnnotations = {
        ...(pinned.length ? { pinned: pinned.join(',').slice(0, 4000) } : {}),
        ...(left.length ? { unresolved: JSON.stringify(left).slice(0, 4000) } : {}),
      };
      const line = {
        uid: request.uid,
        kind: request.kind.kind,
        name: request.name,
        namespace: request.namespace,
        pinned,
        unresolved: left,
      };
      if (left.length) this.logger.warn(line, 'tags left unresolved: the validating webhook judges them as written');
      else this.logger.info(line, 'tags pinned to digests');
    }
    return envelope(response);
  }
}

function envelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}
