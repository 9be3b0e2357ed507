import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CpuSplit } from './generator';
import { runGenerator } from './generator';
import { luaString } from './lua';

/** What a generator phase measured, with the generator's own CPU use over the phase. */
export interface GeneratedLoad {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly firstError?: string;
  /** The generator process's CPU time over its wall time, in cores. */
  readonly generatorCpu: number;
}

/** One wrk phase: `connections` keep-alive connections sending as fast as answers come (a closed loop). */
export interface WrkLoad {
  /** http:// or https:// origin of the server. */
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  readonly split: CpuSplit;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** The same request every time: its path and body. */
  readonly path?: string;
  readonly body?: string;
  /**
   * Or Lua defining `make(n)`, answering the path and body of request n (n is unique across wrk's threads);
   * wrk runs it for every request.
   */
  readonly lua?: string;
  /**
   * Paced: about `rate` requests per second in all, each connection waiting a random, exponentially distributed
   * time (mean connections / rate) after each answer before its next request, so that arrivals are a Poisson
   * stream rather than bursts. Undefined: as fast as answers come.
   */
  readonly rate?: number;
}

function script(load: WrkLoad): string {
  const headers = Object.entries(load.headers ?? {})
    .map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`)
    .join(', ');
  const method = luaString(load.method ?? 'GET');
  const perRequest = load.lua
    ? `${load.lua}
local counter = 0
request = function()
  counter = counter + 1
  local p, b = make(tid * 100000000 + counter)
  return wrk.format(${method}, p, headers, b)
end`
    : `wrk.method = ${method}
wrk.path = ${luaString(load.path ?? '/')}
${load.body !== undefined ? `wrk.body = ${luaString(load.body)}` : ''}
for k, v in pairs(headers) do wrk.headers[k] = v end`;
  return `-- written by bench/lib/wrk.ts
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
headers = { ${headers} }
function init(args)
  math.randomseed(os.time() + tid * 7919)
end
${
  load.rate === undefined
    ? ''
    : `local meanDelayMs = ${((load.connections / load.rate) * 1000).toFixed(3)}
function delay()
  return -meanDelayMs * math.log(1 - math.random())
end`
}
${perRequest}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('@@wrk {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p99: number;
}

/**
 * Connections for a paced phase at `rate` requests/s: about 25 requests per second each (a mean wait of ~40 ms
 * between an answer and the connection's next request, long beside the answers), 1 to 128.
 */
export function pacedConnections(rate: number): number {
  return Math.max(1, Math.min(128, Math.ceil(rate / 25)));
}

/** Runs wrk against `load.url` and answers completed requests/s (2xx/3xx answers), p50/p99 and wrk's CPU use. */
export async function wrkLoad(load: WrkLoad): Promise<GeneratedLoad> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-wrk-'));
  try {
    const file = path.join(dir, 'load.lua');
    fs.writeFileSync(file, script(load));
    const seconds = Math.max(1, Math.round(load.durationMs / 1000));
    const threads = Math.min(load.split.generatorThreads, load.connections);
    const run = await runGenerator(
      'wrk',
      ['-t', String(threads), '-c', String(load.connections), '-d', `${seconds}s`, '--timeout', '30s', '-s', file, load.url],
      load.split.generator,
      (seconds + 180) * 1000,
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('@@wrk '));
    if (!line) throw new Error(`wrk printed no summary (exit ${run.exitCode}):\n${run.stdout}${run.stderr}`);
    const s = JSON.parse(line.slice('@@wrk '.length)) as WrkSummary;
    const ok = s.requests - s.status;
    const failed = s.status + s.connect + s.read + s.write + s.timeout;
    const firstError = s.status
      ? `${s.status} answers with HTTP status ≥ 400`
      : failed
        ? `socket errors: connect ${s.connect}, read ${s.read}, write ${s.write}, timeout ${s.timeout}`
        : undefined;
    const secs = s.durationUs / 1e6;
    return {
      ops: ok,
      errors: failed,
      seconds: secs,
      perSecond: ok / secs,
      p50: s.p50 / 1000,
      p99: s.p99 / 1000,
      firstError,
      generatorCpu: run.cores,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
