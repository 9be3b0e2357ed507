import crypto from 'node:crypto';
import { ApiError } from '../domain/api-error';
import { parseImageReference } from '../domain/image-reference';
import type { VerificationKey } from '../signing/verify-attestation';
import { verifyWitness, type WitnessOccurrence } from '../signing/verify-witness';
import { resourceUriSpellings } from '../verification/resource-uri-spellings';
import { v1Path, type ApiClient, type Json } from './api-client';
import { runSubcommand, UsageError, type CliIo, type Invocation, type Subcommand } from './command-table';

/** The verdict on one image against one witness, checked on the client. */
export interface WitnessVerdict {
  image: string;
  verified: boolean;
  /** ATTESTED, or why not: TAG_REFERENCE, INVALID_REFERENCE, NOT_ATTESTED, BAD_SIGNATURE, DISABLED_KEY, … */
  reason: string;
  message: string;
  occurrence?: string;
  keyId?: string;
  /** The signed form that verified: simple-signing, dsse, dsse-raw, jwt, sigstore-bundle. */
  form?: string;
  /** The predicateTypes of the in-toto statements about the image the witness verified. */
  predicateTypes?: string[];
}

/** Every key that verifies a witness's attestations: each version of its attestd keys, and its external keys. */
async function witnessKeys(client: ApiClient, witness: Json): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  const names = (witness.keys as string[] | undefined) ?? (typeof witness.key === 'string' ? [witness.key] : []);
  for (const name of names) {
    const key = await client.get(v1Path(name));
    const enabled = key.state === 'ENABLED';
    for (const version of (key.versions as Json[] | undefined) ?? []) {
      const pk = await client.get(v1Path(name, '/publicKey'), { version: String(version.name) });
      keys.push({
        keyId: String(pk.name ?? version.name),
        publicKey: crypto.createPublicKey(String(pk.pem)),
        algorithm: String(pk.algorithm),
        enabled,
      });
    }
  }
  for (const external of (witness.publicKeys as Json[] | undefined) ?? []) {
    keys.push({
      keyId: String(external.keyId),
      publicKey: crypto.createPublicKey(String(external.pem)),
      algorithm: String(external.algorithm),
      enabled: true,
    });
  }
  return keys;
}

/** Verifies images against one witness without a policy: fetches its keys and attestations, checks them locally. */
export async function verifyWithWitness(client: ApiClient, witnessName: string, images: readonly string[]): Promise<WitnessVerdict[]> {
  const witness = await client.get(v1Path(witnessName));
  const keys = await witnessKeys(client, witness);
  const verdicts: WitnessVerdict[] = [];
  for (const image of images) {
    let ref;
    try {
      ref = parseImageReference(image);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      verdicts.push({ image, verified: false, reason: 'INVALID_REFERENCE', message: err.message });
      continue;
    }
    if (ref.digest === undefined) {
      verdicts.push({
        image,
        verified: false,
        reason: 'TAG_REFERENCE',
        message: `${image} is referenced by tag; attestations name an image by digest (repo@sha256:…)`,
      });
      continue;
    }
    const filter = resourceUriSpellings(ref)
      .map((uri) => `resourceUri=${JSON.stringify(uri)}`)
      .join(' OR ');
    // The witness's own note and the further notes it vouches for (docs/attestation-forms.md).
    const notes = [String(witness.note), ...((witness.notes as string[] | undefined) ?? [])];
    const occurrences: WitnessOccurrence[] = [];
    for (const note of notes) {
      const found = await client.list(v1Path(note, '/occurrences'), 'occurrences', { filter });
      occurrences.push(...(found as unknown as WitnessOccurrence[]));
    }
    const options = { acceptRawEnvelope: witness.acceptRawEnvelope === true };
    const result = await verifyWitness({ image: ref, keys, occurrences, options });
    const predicateTypes = [...new Set(result.statements.map((s) => s.predicateType))];
    const types = predicateTypes.length ? `, predicateType ${predicateTypes.join(', ')}` : '';
    verdicts.push(
      result.verified
        ? {
            image,
            verified: true,
            reason: 'ATTESTED',
            message: `attested by ${witnessName}: ${result.occurrence} signed by ${result.keyId} (form ${result.form}${types})`,
            occurrence: result.occurrence,
            keyId: result.keyId,
            form: result.form,
            predicateTypes,
          }
        : { image, verified: false, reason: result.reason, message: result.message },
    );
  }
  return verdicts;
}

/** `attestd verify IMAGE… --witness W | --namespace N --cluster C`: exit 0 when every image passes, 1 otherwise. */
export const VERIFY: Subcommand = {
  synopsis: 'verify IMAGE... (--witness W | --namespace N --cluster C)',
  summary: 'check images against one witness, or against the policies of a cluster namespace; exit 0 when all pass, 1 otherwise',
  details: `--witness W                  verify on this machine that W attested each image (its keys and attestations
                               are fetched from attestd); no policy involved
--namespace N --cluster C    ask attestd whether the images may run there (:verifyImages; recorded as a decision)
Prints the verdicts (JSON, or one line per image with --output text, followed by one line per witness that
verified it: the signed form — simple-signing, dsse, dsse-raw, jwt, sigstore-bundle — and the in-toto statements'
predicateType); a failure's reason also goes to stderr.`,
  args: ['IMAGE...'],
  options: { witness: { type: 'string' }, namespace: { type: 'string' }, cluster: { type: 'string' } },
  inProject: true,
  async run(inv: Invocation) {
    const witnessArg = inv.string('witness');
    const namespace = inv.string('namespace');
    const cluster = inv.string('cluster');
    if (witnessArg !== undefined && (namespace !== undefined || cluster !== undefined)) {
      throw new UsageError('give either --witness W or --namespace N --cluster C, not both');
    }
    if (witnessArg === undefined && (namespace === undefined || cluster === undefined)) {
      throw new UsageError(
        namespace === undefined && cluster === undefined
          ? 'give --witness W, or --namespace N with --cluster C'
          : 'policy verification needs both --namespace N and --cluster C',
      );
    }
    const lines: Array<{ ok: boolean; text: string }> = [];
    let json: unknown;
    if (witnessArg !== undefined) {
      const witness = inv.resource('witnesses', witnessArg);
      const verdicts = await verifyWithWitness(inv.client(), witness, inv.args);
      json = { witness, verified: verdicts.every((v) => v.verified), results: verdicts };
      for (const v of verdicts)
        lines.push({
          ok: v.verified,
          text: v.verified ? `VERIFIED ${v.image}: ${v.message}` : `NOT VERIFIED ${v.image}: ${v.reason}: ${v.message}`,
        });
    } else {
      const response = await inv
        .client()
        .post(v1Path(`projects/${inv.project()}`, ':verifyImages'), { cluster, namespace, images: inv.args });
      json = response;
      for (const r of (response.results as Json[] | undefined) ?? []) {
        const ok = r.allowed === true;
        lines.push({ ok, text: `${ok ? 'ALLOWED' : 'DENIED'} ${String(r.image)}: ${String(r.reason)}: ${String(r.message)}` });
        for (const a of (r.attestations as Json[] | undefined) ?? []) lines.push({ ok: true, text: evidenceLine(a) });
        for (const w of (r.waivers as Json[] | undefined) ?? []) lines.push({ ok: true, text: waiverLine(w) });
      }
    }
    inv.print(json, () => lines.map((l) => l.text));
    for (const w of ((json as Json).warnings as string[] | undefined) ?? []) inv.io.err.write(`${inv.command}: warning: ${w}\n`);
    if (inv.output === 'json') for (const l of lines) if (!l.ok) inv.io.err.write(`${inv.command}: ${l.text}\n`);
    return lines.length > 0 && lines.every((l) => l.ok) ? 0 : 1;
  },
};

/** "  witness W: form dsse, occurrence O, predicateType T" under an image's verdict. */
function evidenceLine(a: Json): string {
  const types = (a.predicateTypes as string[] | undefined) ?? [];
  return `  witness ${String(a.witness)}: form ${String(a.form)}, occurrence ${String(a.occurrence)}${types.length ? `, predicateType ${types.join(', ')}` : ''}`;
}

/**
 * "  waived CVE-X (HIGH, over maximumSeverity MEDIUM) by VEX statement N (NOT_AFFECTED)" or "… by allowlistCVEs entry
 * E of policy P" under an image's verdict.
 */
function waiverLine(w: Json): string {
  const by =
    w.waivedBy === 'VEX'
      ? `VEX statement ${String(w.waiver)} (${String(w.vexState)})`
      : `allowlistCVEs entry ${String(w.waiver)} of policy ${String(w.policy)}`;
  return `  waived ${String(w.vulnerability)} (${String(w.severity)}, over ${String(w.limit)}) by ${by}`;
}

/** `attestd verify …`; resolves the exit code. */
export function verifyCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runSubcommand('', VERIFY, argv, io);
}
