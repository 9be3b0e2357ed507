import autocannon from 'autocannon';
import http from 'node:http';
import https from 'node:https';
import { openLoop, type LoadResult } from './load';

/** One autocannon phase: requests built per call, latencies (fractional ms) taken from its response events. */
export interface HttpLoad {
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  readonly token: string;
  readonly method?: 'GET' | 'POST';
  /** Path (and body) of each request; called for every request so that paths can vary. */
  readonly request: (i: number) => { path: string; body?: string };
}

/** Runs autocannon (as fast as `connections` allow) in this load-generator process against the attestd child. */
export async function httpLoad(load: HttpLoad): Promise<LoadResult> {
  const latencies: number[] = [];
  let i = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const headers: Record<string, string> = { authorization: `Bearer ${load.token}`, 'content-type': 'application/json' };
  const instance = autocannon({
    url: load.url,
    connections: load.connections,
    duration: Math.max(0.5, load.durationMs / 1000),
    timeout: 30,
    requests: [
      {
        method: load.method ?? 'GET',
        headers,
        setupRequest: (req) => {
          const r = load.request(i++);
          return { ...req, path: r.path, body: r.body };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.push(responseTime);
    } else {
      failed++;
      firstError ??= `HTTP ${statusCode}`;
    }
  });
  const res = await instance;
  const seconds = res.duration;
  const errors = failed + res.errors + res.timeouts;
  if (res.errors && !firstError) firstError = `${res.errors} connection errors`;
  return { ops: ok, errors, seconds, perSecond: ok / seconds, latenciesMs: latencies, firstError };
}

/** What a paced phase sends: one request shape at a fixed rate over keep-alive http or https connections. */
export interface PacedLoad {
  readonly url: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** Path (and body) of request i. */
  readonly request: (i: number) => { path: string; body?: string };
  /** https only: accept a self-signed certificate (loopback benchmarks). */
  readonly insecure?: boolean;
  readonly maxSockets?: number;
}

/**
 * Requests at a fixed, evenly spaced rate (an open loop over keep-alive node:http or node:https connections),
 * for latency at a given load. autocannon's own rate limit (`-R`) sends each second's quota in a burst when
 * the second starts, which measures queueing at full concurrency rather than latency at the asked rate.
 */
export async function pacedRequests(load: PacedLoad): Promise<LoadResult> {
  const url = new URL(load.url);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: load.maxSockets ?? 64, rejectUnauthorized: !load.insecure })
    : new http.Agent({ keepAlive: true, maxSockets: load.maxSockets ?? 64 });
  const send = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const r = load.request(i);
      const headers: Record<string, string | number> = { ...load.headers };
      if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
      const req = (secure ? https : http).request(
        { host: url.hostname, port: url.port, path: r.path, method: load.method ?? 'GET', agent, headers },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(r.body);
    });
  try {
    return await openLoop(load.ratePerSecond, load.durationMs, send);
  } finally {
    agent.destroy();
  }
}

/** GETs at a fixed rate with a bearer token (pacedRequests). */
export function pacedGets(
  baseUrl: string,
  token: string,
  ratePerSecond: number,
  durationMs: number,
  path: (i: number) => string,
): Promise<LoadResult> {
  return pacedRequests({
    url: baseUrl,
    ratePerSecond,
    durationMs,
    headers: { authorization: `Bearer ${token}` },
    request: (i) => ({ path: path(i) }),
  });
}
