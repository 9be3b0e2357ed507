import { token } from './session';

/** An API error, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server refuses the token (401): the console asks for a new one. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

/** A JSON object from the API. */
export type Json = Record<string, unknown>;

/** Calls the REST API with the session's token; errors carry the API's message. */
export async function api(path: string, body?: Json): Promise<Json> {
  const headers: Record<string, string> = { authorization: `Bearer ${token() ?? ''}` };
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: body ? 'POST' : 'GET',
    headers,
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'omit',
  });
  const json = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) {
    const err = json.error as { message?: string } | undefined;
    if (res.status === 401) onUnauthenticated();
    throw new ApiError(res.status, err?.message ?? `${res.status} ${res.statusText}`);
  }
  return json;
}

/** A list call: `GET path?filter&pageSize&pageToken` → items under `key` and the next page token. */
export async function list(path: string, key: string, params: Record<string, string> = {}): Promise<{ items: Json[]; next: string }> {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ''));
  const json = await api(q.size ? `${path}?${q}` : path);
  const items = Array.isArray(json[key]) ? (json[key] as Json[]) : [];
  return { items, next: typeof json.nextPageToken === 'string' ? json.nextPageToken : '' };
}

/** Every item of a list, up to `max` (pages of 1000). */
export async function listAll(path: string, key: string, params: Record<string, string> = {}, max = 5000): Promise<Json[]> {
  const all: Json[] = [];
  let pageToken = '';
  do {
    const page = await list(path, key, { ...params, pageSize: '1000', pageToken });
    all.push(...page.items);
    pageToken = page.next;
  } while (pageToken && all.length < max);
  return all;
}

/** A string field, or ''. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** An array field, or []. */
export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}
