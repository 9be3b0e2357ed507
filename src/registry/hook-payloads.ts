import crypto from 'node:crypto';
import { invalidArgument, PayloadTooLargeError } from '../domain/api-error';
import { parseDigest, parseImageReference } from '../domain/image-reference';
import type { JsonObject } from '../domain/message-types';

/** The registries attestd has a hook for. */
export type HookSource = 'distribution' | 'harbor' | 'acr' | 'generic';

/** Most events one payload may carry (a registry sends one per POST). */
export const MAX_EVENTS_PER_PAYLOAD = 1000;
/** Largest payload accepted, as JSON text (registry envelopes are a few kB). */
export const MAX_PAYLOAD_CHARS = 1024 * 1024;

/** Manifest and index media types: the pushes that are signed. */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** One event of a payload, reduced to what signing needs. `ignore` says why it is not signed. */
export interface RegistryEvent {
  readonly eventId: string;
  readonly action: string;
  readonly mediaType: string;
  /** Lower-case host[:port], when known. */
  readonly registry: string;
  /** Repository path below the registry ("ns/repo"). */
  readonly repository: string;
  readonly digest: string;
  readonly tag: string;
  /** Why the event is acknowledged without signing; undefined for a signable manifest push. */
  readonly ignore?: string;
}

/** Reads a hook payload into events; a payload of the wrong shape as a whole is INVALID_ARGUMENT. */
export function parseHookPayload(source: HookSource, payload: JsonObject, registryParam: string): RegistryEvent[] {
  if (JSON.stringify(payload).length > MAX_PAYLOAD_CHARS) {
    throw new PayloadTooLargeError(
      `a ${source} hook payload may be at most ${MAX_PAYLOAD_CHARS} bytes of JSON; registries send one small envelope per event`,
    );
  }
  const events = (() => {
    switch (source) {
      case 'distribution':
        return distribution(payload);
      case 'harbor':
        return harbor(payload);
      case 'acr':
        return [acr(payload, registryParam)];
      case 'generic':
        return generic(payload);
    }
  })();
  if (events.length > MAX_EVENTS_PER_PAYLOAD) {
    throw new PayloadTooLargeError(`a ${source} hook payload may carry at most ${MAX_EVENTS_PER_PAYLOAD} events, got ${events.length}`);
  }
  return events;
}

/** CNCF Distribution: {"events": [{id, action, target: {mediaType, digest, repository, url, tag}, request: {host}}]}. */
function distribution(payload: JsonObject): RegistryEvent[] {
  if (!Array.isArray(payload.events)) {
    throw invalidArgument(
      'a distribution notification envelope must be {"events": [...]} (application/vnd.docker.distribution.events.v1+json)',
    );
  }
  return payload.events.map((raw) => {
    const e = object(raw);
    const target = object(e.target);
    const request = object(e.request);
    const action = text(e.action, 64);
    const mediaType = text(target.mediaType, 255);
    const registry = (text(request.host, 255) || hostOf(text(target.url, 2048))).toLowerCase();
    const base = {
      eventId: eventIdOf(e.id, raw),
      action,
      mediaType,
      registry,
      repository: text(target.repository, 255),
      digest: text(target.digest, 200),
      tag: text(target.tag, 128),
    };
    if (action !== 'push') return { ...base, ignore: `action "${action || '(none)'}" is not signed: only manifest pushes are` };
    if (!MANIFEST_MEDIA_TYPES.has(mediaType)) {
      return {
        ...base,
        ignore:
          mediaType === 'application/octet-stream' || mediaType === ''
            ? 'blob push: only manifest pushes are signed'
            : `media type "${mediaType}" is not a manifest or index type`,
      };
    }
    return checkPush(base);
  });
}

/** Harbor: {"type": "PUSH_ARTIFACT", "event_data": {"resources": [{digest, tag, resource_url}], "repository": {repo_full_name}}}. */
function harbor(payload: JsonObject): RegistryEvent[] {
  const type = text(payload.type, 64);
  const data = object(payload.event_data);
  const repo = object(data.repository);
  const repository = text(repo.repo_full_name, 255) || [text(repo.namespace, 255), text(repo.name, 255)].filter((s) => s).join('/');
  const resources = Array.isArray(data.resources) ? data.resources : [];
  // Harbor sends Unix seconds; the value is hashed into the event id in its String() form.
  const occurredAt = (payload.occur_at ?? '') as number | string;
  const occurAt = String(occurredAt);
  const events = resources.map((raw) => {
    const r = object(raw);
    const url = text(r.resource_url, 1024);
    const registry = url.includes('/') ? url.slice(0, url.indexOf('/')).toLowerCase() : '';
    const digest = text(r.digest, 200);
    const tag = text(r.tag, 128);
    const base = {
      eventId: contentId('harbor', type, occurAt, repository, digest, tag),
      action: type,
      mediaType: '',
      registry,
      repository,
      digest,
      tag,
    };
    if (type !== 'PUSH_ARTIFACT')
      return { ...base, ignore: `Harbor event type "${type || '(none)'}" is not signed: only PUSH_ARTIFACT is` };
    return checkPush(base);
  });
  if (events.length > 0) return events;
  return [
    {
      eventId: contentId('harbor', JSON.stringify(payload)),
      action: type,
      mediaType: '',
      registry: '',
      repository,
      digest: '',
      tag: '',
      ignore:
        type === 'PUSH_ARTIFACT'
          ? 'Harbor event names no artifact (event_data.resources is empty)'
          : `Harbor event type "${type || '(none)'}" is not signed: only PUSH_ARTIFACT is`,
    },
  ];
}

/** Alibaba Container Registry: {"push_data": {digest, tag, pushed_at}, "repository": {repo_full_name}}; no registry host. */
function acr(payload: JsonObject, registryParam: string): RegistryEvent {
  const push = object(payload.push_data);
  const repo = object(payload.repository);
  const repository = text(repo.repo_full_name, 255) || [text(repo.namespace, 255), text(repo.name, 255)].filter((s) => s).join('/');
  const digest = text(push.digest, 200);
  const tag = text(push.tag, 128);
  const base = {
    eventId: contentId('acr', text(push.pushed_at, 64), repository, digest, tag),
    action: 'push',
    mediaType: '',
    registry: registryParam.toLowerCase(),
    repository,
    digest,
    tag,
  };
  if (!payload.push_data) return { ...base, action: '', ignore: 'not an ACR push event (no push_data)' };
  return checkPush(base, true);
}

/** {"images": ["host/ns/repo@sha256:…", …]}: one event per image. */
function generic(payload: JsonObject): RegistryEvent[] {
  if (!Array.isArray(payload.images))
    throw invalidArgument('a generic hook payload must be {"images": ["host/namespace/repo@sha256:<64 hex>", ...]}');
  return payload.images.map((raw) => {
    const image = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const base = { eventId: contentId('generic', image), action: 'push', mediaType: '', registry: '', repository: '', digest: '', tag: '' };
    if (typeof raw !== 'string') return { ...base, ignore: 'not a string: images must be "host/namespace/repo@sha256:<64 hex>"' };
    try {
      const ref = parseImageReference(raw);
      if (!ref.digest)
        return { ...base, ignore: `image ${JSON.stringify(raw.slice(0, 200))} has no digest: only images by digest are signed` };
      return { ...base, registry: ref.registry, repository: ref.repository, digest: ref.digest, tag: ref.tag ?? '' };
    } catch (err) {
      return { ...base, ignore: (err as Error).message };
    }
  });
}

/** Checks digest, registry and repository of a push; on a problem the event carries the reason. */
export function checkPush(e: RegistryEvent, registryMayComeFromRule = false): RegistryEvent {
  if (e.digest === '') return { ...e, ignore: 'the event names no digest' };
  try {
    parseDigest(e.digest, 'digest');
  } catch (err) {
    return { ...e, ignore: (err as Error).message };
  }
  if (e.repository === '') return { ...e, ignore: 'the event names no repository' };
  if (e.registry === '') {
    if (registryMayComeFromRule) return e;
    return { ...e, ignore: 'the event names no registry host (request.host)' };
  }
  try {
    const ref = parseImageReference(`${e.registry}/${e.repository}@${e.digest}`);
    if (ref.repository !== e.repository)
      return { ...e, ignore: `repository "${e.repository}" is not a full repository path on ${e.registry}` };
  } catch (err) {
    return { ...e, ignore: (err as Error).message };
  }
  return e;
}

function object(v: unknown): JsonObject {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};
}

/** A string field, cut to `max` characters (stored values stay bounded). */
function text(v: unknown, max: number): string {
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function hostOf(url: string): string {
  try {
    return url ? new URL(url).host : '';
  } catch {
    return '';
  }
}

/** The registry's event id when it is sane, else a digest of the event. */
function eventIdOf(id: unknown, raw: unknown): string {
  if (typeof id === 'string' && /^[\x21-\x7e]{1,200}$/.test(id)) return id;
  return contentId('event', JSON.stringify(raw));
}

/** A stable id for events whose registry gives none: the same content gives the same id. */
function contentId(...parts: string[]): string {
  return `sha256:${crypto.createHash('sha256').update(parts.join('\u0001')).digest('hex')}`;
}
