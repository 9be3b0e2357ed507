import crypto from 'node:crypto';
import type { JsonObject } from '../../src/domain/message-types';
import { buildPayload } from '../../src/signing/simple-signing';
import type { MemoryServices } from './memory-services';

/** The repository most attestations are for. */
export const REPO = 'registry.example.com/team/app';
/** A digest made from a label. */
export const digest = (label: string): string => `sha256:${crypto.createHash('sha256').update(label).digest('hex')}`;
/** The digests the world's attestations are about: by both witnesses, w1 only, none, and so on. */
export const D = {
  both: digest('both'),
  w1: digest('w1'),
  none: digest('none'),
  hub: digest('hub'),
  forged: digest('forged'),
  moved: digest('moved'),
  disabled: digest('off'),
};

/** Builds a project with witnesses, attestations and one policy per namespace, through the services' own API. */
export async function verificationWorld(s: MemoryServices): Promise<void> {
  const ctx = s.admin;
  await s.projects.create(ctx, 'projects/p');
  for (const k of ['k1', 'k2', 'k3', 'kd']) await s.keys.create(ctx, 'projects/p', k, { keySpec: 'EC_P256' });
  for (const [w, k] of [
    ['w1', 'k1'],
    ['w2', 'k2'],
    ['w3', 'k3'],
    ['wd', 'kd'],
  ])
    await s.witnesses.create(ctx, 'projects/p', w!, { key: `projects/p/keys/${k}` });
  const attest = (w: string, image: string) => s.attest.attest(ctx, `projects/p/witnesses/${w}`, image);
  await attest('w1', `${REPO}@${D.both}`);
  await attest('w2', `${REPO}@${D.both}`);
  await attest('w1', `${REPO}@${D.w1}`);
  await attest('w1', `docker.io/library/alpine@${D.hub}`);
  await attest('wd', `${REPO}@${D.disabled}`);
  await s.keys.setEnabled(ctx, 'projects/p/keys/kd', false);
  // A signature that does not verify, under w1's real key id.
  await s.occurrences.create(ctx, 'projects/p', {
    resourceUri: `https://${REPO}@${D.forged}`,
    noteName: 'projects/p/notes/w1',
    attestation: {
      serializedPayload: buildPayload({ repository: REPO, digest: D.forged, timestamp: 0 }).toString('base64'),
      signatures: [{ signature: crypto.randomBytes(72).toString('base64'), publicKeyId: 'projects/p/keys/k1/versions/1' }],
    },
  });
  // A good signature over a payload naming another repository, stored for this one.
  const payload = buildPayload({ repository: 'registry.example.com/other/app', digest: D.moved, timestamp: 0 });
  const signed = await s.keys.sign(ctx, 'projects/p/keys/k1', payload);
  await s.occurrences.create(ctx, 'projects/p', {
    resourceUri: `https://${REPO}@${D.moved}`,
    noteName: 'projects/p/notes/w1',
    attestation: {
      serializedPayload: payload.toString('base64'),
      signatures: [{ signature: signed.signature.toString('base64'), publicKeyId: signed.name }],
    },
  });
  for (const c of ['c1', 'c2']) await s.clusters.create(ctx, 'projects/p', c, {});
  const policy = (id: string, namespaces: string[], body: JsonObject) =>
    s.policies.create(ctx, 'projects/p', id, { cluster: 'c1', namespaces, enabled: true, ...body });
  const w = (...ids: string[]) => ids.map((id) => `projects/p/witnesses/${id}`);
  await policy('one', ['one', 'two-policies'], { witnesses: w('w1') });
  await policy('second', ['two-policies'], { witnesses: w('w2') });
  await policy('all-of-two', ['all-of-two'], { witnesses: w('w1', 'w2') });
  await policy('one-of-two', ['one-of-two'], { witnesses: w('w1', 'w3'), requiredWitnesses: 1 });
  await policy('dry', ['dry'], { witnesses: w('w3'), enforcement: 'DRY_RUN' });
  await policy('glass', ['glass'], { witnesses: w('w3'), breakglassAllowed: true });
  await policy('allow', ['allow'], { witnesses: w('w3'), allowlist: ['registry.example.com/trusted/*', 'docker.io/library/busybox'] });
  await policy('off', ['off'], { witnesses: w('w1'), enabled: false });
  await policy('other-cluster', ['elsewhere'], { witnesses: w('w1'), cluster: 'c2' });
  await policy('disabled-key', ['disabled-key'], { witnesses: w('wd') });
}
