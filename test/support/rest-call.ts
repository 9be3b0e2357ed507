import type { LooseJson } from './loose-json';

/** What a REST call answered: the status, the body (parsed when it is JSON, else the text) and how long it took. */
export interface RestReply {
  status: number;
  body: LooseJson;
  ms: number;
}

/** One REST call with an optional bearer token; a string body is sent as given, anything else as JSON. */
export async function restCall(
  baseUrl: string,
  token: string | undefined,
  method: string,
  urlPath: string,
  body?: unknown,
  options: { contentType?: string; timeoutMs?: number } = {},
): Promise<RestReply> {
  const started = Date.now();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed, ms: Date.now() - started };
}
