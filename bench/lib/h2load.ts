import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CpuSplit } from './generator';
import { runGenerator } from './generator';
import { percentile } from './stats';
import type { GeneratedLoad } from './wrk';

/**
 * One h2load phase: a closed loop, `clients` connections × `streams` requests in flight each. (Not used for paced
 * load: h2load --rps starts every client's timer together, so its requests arrive in bursts of `clients`; paced
 * phases use wrk with random waits, bench/lib/wrk.ts.)
 */
export interface H2Load {
  /** The request URL (scheme, host, port, path); or the origin when `paths` is given. */
  readonly url: string;
  /** Paths used in turn by every client (h2load -i). */
  readonly paths?: readonly string[];
  readonly clients: number;
  /** Requests in flight per connection (HTTP/2 streams); 1 over HTTP/1.1. */
  readonly streams?: number;
  readonly durationMs: number;
  readonly split: CpuSplit;
  /** HTTP/1.1 (over TLS too) instead of HTTP/2. */
  readonly h1?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  /** A POST body, the same for every request. */
  readonly body?: Buffer | string;
}

/**
 * Runs h2load and answers the rate of 2xx answers, p50/p99 from its per-request log (from each request's start
 * to the end of its answer) and h2load's CPU use. gRPC statuses travel in trailers, which h2load does not read:
 * callers that send gRPC count what the server stored instead.
 */
export async function h2load(load: H2Load): Promise<GeneratedLoad> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-h2load-'));
  try {
    const logFile = path.join(dir, 'requests.log');
    const seconds = Math.max(1, Math.round(load.durationMs / 1000));
    const args = ['-D', String(seconds), '-c', String(load.clients), '-m', String(load.h1 ? 1 : (load.streams ?? 1))];
    args.push('-t', String(Math.min(load.split.generatorThreads, load.clients)), '--log-file', logFile);
    if (load.h1) args.push('--h1');
    for (const [k, v] of Object.entries(load.headers ?? {})) args.push('-H', `${k}: ${v}`);
    if (load.body !== undefined) {
      const bodyFile = path.join(dir, 'body');
      fs.writeFileSync(bodyFile, load.body);
      args.push('-d', bodyFile);
    }
    if (load.paths) {
      const origin = new URL(load.url).origin;
      const uris = path.join(dir, 'uris');
      fs.writeFileSync(uris, `${load.paths.map((p) => origin + p).join('\n')}\n`);
      args.push('-i', uris);
    } else {
      args.push(load.url);
    }
    const run = await runGenerator('h2load', args, load.split.generator, (seconds + 180) * 1000);
    const out = run.stdout;
    const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    const reqs = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
    const finished = /finished in ([\d.]+)s,/.exec(out);
    if (!codes || !reqs || !finished) throw new Error(`h2load printed no summary (exit ${run.exitCode}):\n${out}${run.stderr}`);
    const ok = Number(codes[1]);
    const errors = Number(codes[3]) + Number(codes[4]) + Number(reqs[5]) + Number(reqs[6]) + Number(reqs[7]);
    const latencies: number[] = [];
    for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
      const [, status, micros] = line.split('\t');
      if (status && status.startsWith('2')) latencies.push(Number(micros) / 1000);
    }
    const firstError = errors ? `${codes[3]} 4xx, ${codes[4]} 5xx, ${reqs[5]} failed, ${reqs[6]} errored, ${reqs[7]} timed out` : undefined;
    return {
      ops: ok,
      errors,
      seconds,
      perSecond: ok / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      firstError,
      generatorCpu: run.cores,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
