import type { Access } from '../auth/access';
import { ApiError, failedPrecondition, notFound } from '../domain/api-error';
import { parseImageReference } from '../domain/image-reference';
import type { JsonObject } from '../domain/message-types';
import { parseProjectName } from '../domain/names';
import { OCI_MANIFEST, type RegistryClient, type RepositoryRef } from '../domain/registry-client';
import { RegistryError } from '../domain/registry-error';
import type { RequestContext } from '../domain/request-context';
import { requireProject } from '../domain/stores/require-project';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import { parseWitnessName, type WitnessName } from '../witnesses/witness-names';
import { matchingRules } from './plan-delivery';
import type { ImportReading, SignatureImporter } from './signature-importer';

/** The signature manifests looked at for one image at most (tags and referrers together). */
const MAX_MANIFESTS = 32;

/** One signature manifest read for one witness. */
interface ImportResult {
  witness: string;
  importRule: string;
  /** `host/repo:sha256-<hex>.sig`, or `host/repo@sha256:…` for a referrer. */
  source: string;
  status: 'IMPORTED' | 'REJECTED';
  occurrences: string[];
  reason: string;
}

/**
 * `images:import`: imports the cosign signatures and attestations of an image pushed earlier, as the registry hook
 * does for new pushes (ADR 0020): the enabled import rules covering its repository name the witnesses; the `.sig`
 * and `.att` tags and the OCI 1.1 referrers of its digest are read (no transaction open meanwhile), verified with
 * each witness's keys and the verified ones recorded byte for byte, once. What does not verify is only reported.
 */
export class ImageImportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly importer: SignatureImporter,
  ) {}

  async importImage(ctx: RequestContext, parent: string, image: string): Promise<JsonObject> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'images.import', projectId);
    if (image.trim() === '')
      throw new ApiError(
        'INVALID_ARGUMENT',
        'image is required: the image to import signatures of, e.g. "127.0.0.1:5000/team/app@sha256:…" or "…/team/app:1.0"',
      );
    const ref = parseImageReference(image);
    const rules = await this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      return matchingRules(await stores.importRules.enabled(projectId), { registry: ref.registry, repository: ref.repository });
    });
    const repository = `${ref.registry}/${ref.repository}`;
    if (rules.length === 0) {
      throw failedPrecondition(
        `no enabled import rule of projects/${projectId} covers ${repository}: create one (attestd import-rules create --registry ${ref.registry} --namespace ${ref.repository.split('/')[0]} --witness W --enable)`,
      );
    }
    const repo: RepositoryRef = { registry: ref.registry, repository: ref.repository };
    const client = await this.importer.clients(
      ref.registry,
      rules.some((r) => r.spec.plainHttp),
    );
    const digest = ref.digest ?? (await registryCall(() => client.resolveTag(ref), `tag ${image}`));
    const subject = parseImageReference(`${repository}@${digest}`);
    const sources = await registryCall(() => signatureManifests(client, repo, digest), `the signatures of ${repository}@${digest}`);
    const witnesses = new Map<string, { name: WitnessName; rule: string }>();
    for (const rule of rules) {
      for (const w of rule.spec.witnesses)
        if (!witnesses.has(w)) witnesses.set(w, { name: parseWitnessName(w), rule: `projects/${projectId}/importRules/${rule.id}` });
    }
    const readings: Array<{ witness: string; rule: string; name: WitnessName; source: string; reading: ImportReading }> = [];
    for (const [witness, { name, rule }] of witnesses) {
      const keys = await this.importer.keysOf(name);
      for (const s of sources) {
        let reading: ImportReading;
        try {
          reading = await this.importer.readWith(client, repo, s.reference, s.tag, keys);
        } catch (err) {
          if (!(err instanceof RegistryError) || err.retryable) throw toApiError(err, s.source);
          reading = { image: undefined, verified: [], rejected: [`registry ${err.reason}: ${err.message}`] };
        }
        if (reading.image !== undefined && reading.image.digest !== digest) {
          reading = { image: undefined, verified: [], rejected: [`${s.source} signs ${reading.image.digest}, not ${digest}`] };
        }
        readings.push({ witness, rule, name, source: s.source, reading });
      }
    }
    const results: ImportResult[] = await this.uow.transaction(async (stores) => {
      const out: ImportResult[] = [];
      for (const r of readings) {
        const names = await this.importer.record(stores, ctx, r.name, subject, r.reading.verified);
        const occurrences = [...new Set(names)];
        out.push({
          witness: r.witness,
          importRule: r.rule,
          source: r.source,
          status: occurrences.length > 0 ? 'IMPORTED' : 'REJECTED',
          occurrences,
          reason: r.reading.rejected.join('; '),
        });
      }
      return out;
    });
    return {
      image: `${repository}@${digest}`,
      results: results as unknown as JsonObject[],
      occurrences: [...new Set(results.flatMap((r) => r.occurrences))],
    };
  }
}

/** The image's cosign tags that exist and its OCI manifest referrers, at most MAX_MANIFESTS. */
async function signatureManifests(
  client: RegistryClient,
  repo: RepositoryRef,
  digest: string,
): Promise<Array<{ reference: string; tag: string; source: string }>> {
  const out: Array<{ reference: string; tag: string; source: string }> = [];
  const where = `${repo.registry}/${repo.repository}`;
  for (const suffix of ['sig', 'att']) {
    const tag = `${digest.replace(':', '-')}.${suffix}`;
    try {
      const manifest = await client.getManifest(repo, tag);
      out.push({ reference: manifest.digest, tag, source: `${where}:${tag}` });
    } catch (err) {
      if (!(err instanceof RegistryError) || err.reason !== 'NOT_FOUND') throw err;
    }
  }
  for (const d of await client.referrers(repo, digest)) {
    if (d.mediaType === OCI_MANIFEST) out.push({ reference: d.digest, tag: '', source: `${where}@${d.digest}` });
  }
  return out.slice(0, MAX_MANIFESTS);
}

/** Runs a registry call of the request itself: what the registry did becomes the API error a caller can act on. */
async function registryCall<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toApiError(err, what);
  }
}

function toApiError(err: unknown, what: string): unknown {
  if (!(err instanceof RegistryError)) return err;
  if (err.reason === 'NOT_FOUND') return notFound(`${what}: ${err.message}`);
  if (err.retryable) return new ApiError('UNAVAILABLE', `${what}: ${err.message}; try again later`);
  return failedPrecondition(`${what}: ${err.message}`);
}
