import autocannon = require('autocannon');
import http from 'node:http';
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

/**
 * GETs at a fixed rate (an open loop over keep-alive node:http connections), for latency at a given load.
 * autocannon's own rate limit sends each second's quota in a burst when the second starts, which
 * measures queueing at full concurrency rather than latency at the asked rate.
 */
export async function pacedGets(baseUrl: string, token: string, ratePerSecond: number, durationMs: number, path: (i: number) => string): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(baseUrl);
  const get = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: path(i), method: 'GET', agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  try {
    return await openLoop(ratePerSecond, durationMs, get);
  } finally {
    agent.destroy();
  }
}
