/** A value quoted for an AIP-160 filter: backslashes, quotes and stars escaped (a literal match). */
export function quoted(v: string): string {
  return `"${escaped(v)}"`;
}

/** A prefix match for an AIP-160 filter: the escaped value and an unescaped trailing star. */
function prefix(v: string): string {
  return `"${escaped(v)}*"`;
}

function escaped(v: string): string {
  return v.replace(/[\\"*]/g, (c) => `\\${c}`);
}

/** What an image search asks for: one image by digest, every digest of a repository, or a digest anywhere. */
export interface ImageQuery {
  readonly repository: string;
  readonly digest: string;
}

/** Reads `repo@sha256:…`, `repo` (a tag is dropped) or `sha256:…`; an `https://` prefix is ignored. */
export function parseImageQuery(text: string): ImageQuery {
  const t = text.trim().replace(/^https:\/\//, '');
  if (/^sha256:[0-9a-f]{64}$/.test(t)) return { repository: '', digest: t };
  const at = t.indexOf('@');
  if (at >= 0) return { repository: t.slice(0, at), digest: t.slice(at + 1) };
  const colon = t.lastIndexOf(':');
  const repository = colon > t.lastIndexOf('/') ? t.slice(0, colon) : t;
  return { repository, digest: '' };
}

/** The occurrence filter for an image query. */
export function occurrenceFilter(q: ImageQuery): string {
  const where = q.repository
    ? q.digest
      ? `resourceUri=${quoted(`https://${q.repository}@${q.digest}`)}`
      : `resourceUri=${prefix(`https://${q.repository}@`)}`
    : `resourceUri:${quoted(`@${q.digest}`)}`;
  return `kind=ATTESTATION AND ${where}`;
}

/** A decision filter that selects at least the decisions about the image (imageMatches narrows it down). */
export function decisionFilter(q: ImageQuery): string {
  return `image:${quoted(q.digest || q.repository)}`;
}

/** Whether an image as written (pod spec, hook event) is the one asked for. */
export function imageMatches(image: string, q: ImageQuery): boolean {
  const i = parseImageQuery(image);
  if (q.digest && i.digest !== q.digest) return false;
  return !q.repository || i.repository === q.repository;
}
