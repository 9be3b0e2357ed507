/** The server the CLI talks to when neither --server nor ATTESTD_SERVER says otherwise. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** How long one REST call may take before the CLI gives up. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** What the CLI should say when it has no token. */
export const TOKEN_HINT =
  'pass --token T or set ATTESTD_TOKEN; an operator mints one on the server host with ' +
  '`attestd token create --sub YOU --role admin [--project P]` (same JWT_SECRET or DATA_DIR as the server)';

/** A call that failed: a Google error body from the server, or a transport failure (UNAVAILABLE). */
export class ApiCallError extends Error {
  constructor(
    readonly status: string,
    message: string,
    readonly httpStatus = 0,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** A JSON object as the REST API returns it. */
export type Json = Record<string, unknown>;

/** Query parameters; undefined and empty values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** A small fetch-based client of attestd's REST API: bearer token, JSON in and out, Google errors thrown. */
export class ApiClient {
  readonly server: string;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    this.server = server.replace(/\/+$/, '');
  }

  get(path: string, query?: Query): Promise<Json> {
    return this.call('GET', path, query);
  }

  post(path: string, body: unknown = {}, query?: Query): Promise<Json> {
    return this.call('POST', path, query, body);
  }

  patch(path: string, body: unknown, query?: Query): Promise<Json> {
    return this.call('PATCH', path, query, body);
  }

  delete(path: string, query?: Query): Promise<Json> {
    return this.call('DELETE', path, query);
  }

  /** Every item of a paged list (`{"<plural>": [...], "nextPageToken"}`). */
  async list(path: string, plural: string, query: Query = {}): Promise<Json[]> {
    const items: Json[] = [];
    let pageToken = '';
    do {
      const page = await this.get(path, { ...query, pageSize: 1000, pageToken });
      items.push(...((page[plural] as Json[] | undefined) ?? []));
      pageToken = typeof page.nextPageToken === 'string' ? page.nextPageToken : '';
    } while (pageToken);
    return items;
  }

  private async call(method: string, path: string, query?: Query, body?: unknown): Promise<Json> {
    const url = new URL(`${this.server}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ApiCallError(
        'UNAVAILABLE',
        `cannot reach attestd at ${this.server} (${detail}); start it with \`attestd serve\` or pass --server URL / set ATTESTD_SERVER`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (res.ok && json !== undefined && typeof json === 'object' && json !== null) return json as Json;
    const error = (json as { error?: { status?: string; message?: string } } | undefined)?.error;
    const status = error?.status ?? (res.ok ? 'INTERNAL' : `HTTP_${res.status}`);
    let message =
      error?.message ??
      (res.ok
        ? `${method} ${url.pathname} answered a body that is not JSON`
        : `${method} ${url.pathname} answered ${res.status} ${res.statusText}`);
    if (status === 'UNAUTHENTICATED') message += `; the token was not accepted: ${TOKEN_HINT}`;
    throw new ApiCallError(status, message, res.status);
  }
}

/** Where the CLI connects and with which token: flags first, then ATTESTD_SERVER / ATTESTD_TOKEN. */
export function clientSettings(
  flags: { server?: string; token?: string },
  env: Readonly<Record<string, string | undefined>>,
): { server: string; token: string | undefined } {
  const server = flags.server || env.ATTESTD_SERVER || DEFAULT_SERVER;
  const token = flags.token || env.ATTESTD_TOKEN || undefined;
  return { server, token };
}

/** The REST path of a resource name, each segment escaped: "projects/p/keys/k" → "/v1/projects/p/keys/k". */
export function v1Path(name: string, suffix = ''): string {
  return `/v1/${name.split('/').map(encodeURIComponent).join('/')}${suffix}`;
}
