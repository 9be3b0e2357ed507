import type { RequestContext } from '../../src/domain/request-context';
import { memoryServices, type MemoryServices } from './memory-services';

/** An image's resource URI. */
export const URI = 'https://registry.example.com/ns/app@sha256:' + 'a'.repeat(64);
/** ATTESTATION details (unsigned: Grafeas rules do not verify them). */
export const attestation = { serializedPayload: Buffer.from('{}').toString('base64'), signatures: [] };
/** A call without a token. */
export const anonymous: RequestContext = { requestId: 'anon', principal: undefined, transport: 'rest' };

/**
 * Services over a memory database holding projects p and q, notes p/att (ATTESTATION), p/build (BUILD), p/bare
 * (no kind) and q/shared (ATTESTATION), with a viewer and an attestor of p.
 */
export async function grafeasWorld(): Promise<{ s: MemoryServices; viewer: RequestContext; attestor: RequestContext }> {
  const s = memoryServices();
  await s.projects.create(s.admin, 'projects/p');
  await s.projects.create(s.admin, 'projects/q');
  await s.notes.create(s.admin, 'projects/p', 'att', { attestation: { hint: { humanReadableName: 'att' } } });
  await s.notes.create(s.admin, 'projects/p', 'build', { build: { builderVersion: '1' } });
  await s.notes.create(s.admin, 'projects/p', 'bare', { shortDescription: 'no details' });
  await s.notes.create(s.admin, 'projects/q', 'shared', { attestation: { hint: { humanReadableName: 'shared' } } });
  return { s, viewer: s.caller({ p: ['viewer'] }), attestor: s.caller({ p: ['attestor'] }) };
}
