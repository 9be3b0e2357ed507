import crypto from 'node:crypto';

/** What kind of thing an audit event records. */
export type AuditKind = 'change' | 'security' | 'decision';

/** The chain id of events that belong to no existing project (e.g. refused calls naming an unknown project). */
export const SYSTEM_CHAIN = '-';
/** prev_hash of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** An event before it joins its chain. */
export interface NewAuditEvent {
  readonly projectId: string;
  readonly time: string;
  readonly actor: string;
  readonly method: string;
  readonly resource: string;
  readonly requestId: string;
  readonly kind: AuditKind;
  readonly details: Readonly<Record<string, unknown>>;
}

/** An event as stored: its place in its project's chain and the hashes that bind it there. */
export interface AuditEvent extends NewAuditEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * The event's hash: SHA-256 over a canonical JSON array of every stored field (details with sorted keys,
 * since jsonb reorders them) and the previous event's hash. Changing, inserting or removing an event breaks
 * the chain from that point on.
 */
export function eventHash(e: Omit<AuditEvent, 'hash'>): string {
  const canonical = JSON.stringify([
    'attestd-audit-v1',
    e.projectId,
    String(e.seq),
    e.eventId,
    new Date(e.time).toISOString(),
    e.actor,
    e.method,
    e.resource,
    e.requestId,
    e.kind,
    canonicalJson(e.details),
    e.prevHash,
  ]);
  return crypto.createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The project a resource name belongs to (`projects/{p}/...`), or undefined. */
export function projectOf(resource: string): string | undefined {
  return /^projects\/([^/]+)/.exec(resource)?.[1];
}
