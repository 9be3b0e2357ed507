import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { loadOrGenerateTls } from '../src/admission/tls-material';
import { availableCores } from '../src/app/available-cores';
import { podReview } from './admission';
import { chainedRate, resetWriteProject } from './lib/baseline-writes';
import { BENCH_MASTER_KEY } from './lib/bench-server';
import { BENCH_JWT_SECRET, ensureProjectAndNote, imageUri, NOTES, occurrenceRequest, rest, scaleProject } from './lib/fixtures';
import type { CpuSplit } from './lib/generator';
import { LUA_IMAGE, luaString } from './lib/lua';
import { median, summarize, type Summary } from './lib/stats';
import { wrkLoad, type GeneratedLoad } from './lib/wrk';
import { ensureScaleData } from './seed';

// Worker scaling: `attestd serve --admission --workers N` (the real command, node:cluster) for N = 1 … the cores
// available, each measured for REST writes, the filtered list and warm admission at its maximum rate (wrk), as a
// ratio to N = 1 measured in the same invocation. On a machine with more cores the same code measures more N.

const PROJECT = 'bench-workers';
const NOTE = 'signed';
const ADMIT_PROJECT = 'bench-workers-admit';
const CLUSTER = 'bench';
const REPO = 'registry.bench.local:5000/workers';
const IMAGES = ['a', 'b', 'c'].map((c, i) => `${REPO}/app${i}@sha256:${c.repeat(64)}`);
const WRITE_CONNECTIONS = 32;
const LIST_CONNECTIONS = 16;
const ADMISSION_CONNECTIONS = 32;
const URI_MARK = '@@URI@@';

/** What the scaling run needs from the runner. */
export interface ScalingOptions {
  readonly databaseUrl: string;
  readonly pg: pg.Pool;
  readonly poolSize: number;
  readonly scale: number;
  readonly durationMs: number;
  readonly runs: number;
  readonly split: CpuSplit;
  readonly token: string;
  readonly log: (line: string) => void;
  /** Counts failed requests (a run with failures exits non-zero). */
  readonly recordErrors: (where: string, r: { errors: number; firstError?: string }) => void;
}

/** One figure's throughput at one worker count. */
export interface ScalingCell {
  readonly workers: number;
  readonly summary: Summary;
  /** Median of this count's runs over the median of 1 worker's. */
  readonly ratio: number;
  readonly generatorCpu: Summary;
}

/** One figure over worker counts. */
export interface ScalingRow {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly cells: ScalingCell[];
}

/** The whole table, with how the CPUs were split. */
export interface ScalingResult {
  readonly cores: number;
  readonly split: string;
  readonly rows: ScalingRow[];
}

const FIGURES = [
  { id: 'workers.write', label: 'CreateOccurrence REST', unit: 'occ/s' },
  { id: 'workers.list', label: 'ListOccurrences resourceUri="…" max rate', unit: 'req/s' },
  { id: 'workers.admission', label: 'admission warm max rate', unit: 'req/s' },
] as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running `attestd serve --admission --workers N`. */
interface ServeGroup {
  readonly httpUrl: string;
  readonly admissionUrl: string;
  stop(): Promise<void>;
}

async function startGroup(workers: number, options: ScalingOptions, tlsDir: string, dataDir: string): Promise<ServeGroup> {
  const [httpPort, grpcPort, admissionPort] = [await freePort(), await freePort(), await freePort()];
  const attestd = path.join(__dirname, '..', '..', 'bin', 'attestd.js');
  const argv = [attestd, 'serve', '--admission', '--workers', String(workers)];
  argv.push('--project', ADMIT_PROJECT, '--cluster', CLUSTER);
  argv.push('--tls-cert', path.join(tlsDir, 'cert.pem'), '--tls-key', path.join(tlsDir, 'key.pem'));
  const [command, args] =
    options.split.server === undefined ? [process.execPath, argv] : ['taskset', ['-c', options.split.server, process.execPath, ...argv]];
  const child: ChildProcess = spawn(command, args, {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      DATABASE_POOL_MAX: String(options.poolSize),
      JWT_SECRET: BENCH_JWT_SECRET,
      MASTER_KEY: BENCH_MASTER_KEY,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      ADMISSION_PORT: String(admissionPort),
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: '3000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  // Serving with every worker: one "attestd serving" line per worker.
  while ((output.match(/"msg":"attestd serving"/g) ?? []).length < workers) {
    if (child.exitCode !== null) throw new Error(`attestd serve --workers ${workers} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`attestd serve --workers ${workers} did not serve within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    admissionUrl: `https://127.0.0.1:${admissionPort}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/** The admission project: a key, a witness, a cluster, a policy on namespace default and the three images attested. */
async function seedAdmission(baseUrl: string, token: string): Promise<void> {
  const ok = [200, 409];
  await rest(baseUrl, token, 'POST', '/v1/projects', { name: `projects/${ADMIT_PROJECT}` }, ok);
  await rest(baseUrl, token, 'POST', `/v1/projects/${ADMIT_PROJECT}/keys?keyId=k1`, { keySpec: 'EC_P256' }, ok);
  await rest(
    baseUrl,
    token,
    'POST',
    `/v1/projects/${ADMIT_PROJECT}/witnesses?witnessId=w1`,
    { key: `projects/${ADMIT_PROJECT}/keys/k1` },
    ok,
  );
  await rest(baseUrl, token, 'POST', `/v1/projects/${ADMIT_PROJECT}/clusters?clusterId=${CLUSTER}`, {}, ok);
  await rest(
    baseUrl,
    token,
    'POST',
    `/v1/projects/${ADMIT_PROJECT}/policies?policyId=pol`,
    { witnesses: [`projects/${ADMIT_PROJECT}/witnesses/w1`], cluster: CLUSTER, namespaces: ['default'], enabled: true },
    ok,
  );
  for (const image of IMAGES) await rest(baseUrl, token, 'POST', `/v1/projects/${ADMIT_PROJECT}/witnesses/w1:attest`, { image }, ok);
}

/** Checks once that the webhook admits the seeded pod (a denied pod would make the rate meaningless). */
async function checkAdmitted(admissionUrl: string, review: string): Promise<void> {
  const { default: https } = await import('node:https');
  const answer = await new Promise<string>((resolve, reject) => {
    const req = https.request(
      `${admissionUrl}/validate`,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(review);
  });
  if (!answer.includes('"allowed":true')) throw new Error(`the webhook did not admit the seeded pod: ${answer.slice(0, 500)}`);
}

/** One run of the three figures against a group. */
async function measure(
  group: ServeGroup,
  options: ScalingOptions,
  review: string,
): Promise<Record<string, GeneratedLoad & { rate: number }>> {
  const auth = { authorization: `Bearer ${options.token}` };
  await resetWriteProject(options.pg, PROJECT);
  const [before, after] = JSON.stringify(occurrenceRequest(PROJECT, NOTE, URI_MARK)).split(URI_MARK);
  const write = await wrkLoad({
    url: group.httpUrl,
    connections: WRITE_CONNECTIONS,
    durationMs: options.durationMs,
    split: options.split,
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    lua: `${LUA_IMAGE}
function make(n)
  return ${luaString(`/v1/projects/${PROJECT}/occurrences`)}, ${luaString(before!)} .. image(n) .. ${luaString(after!)}
end`,
  });
  options.recordErrors('workers write', write);
  const writeRate = await chainedRate(options.pg, PROJECT, write);

  const project = scaleProject(options.scale);
  const images = Math.max(1, Math.floor(options.scale / NOTES));
  const listPath = `/v1/projects/${project}/occurrences?filter=${encodeURIComponent(`resourceUri="${imageUri(0)}"`)}&pageSize=20`;
  const [lb, la] = listPath.split(encodeURIComponent(imageUri(0)));
  const list = await wrkLoad({
    url: group.httpUrl,
    connections: LIST_CONNECTIONS,
    durationMs: options.durationMs,
    split: options.split,
    headers: auth,
    lua: `${LUA_IMAGE}
local function enc(s)
  return (string.gsub(s, "[^%w%-_%.!~%*'%(%)]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
function make(n)
  return ${luaString(lb!)} .. enc(image(math.random(0, ${images - 1}))) .. ${luaString(la!)}, nil
end`,
  });
  options.recordErrors('workers list', list);

  const admission = await wrkLoad({
    url: group.admissionUrl,
    connections: ADMISSION_CONNECTIONS,
    durationMs: options.durationMs,
    split: options.split,
    method: 'POST',
    path: '/validate',
    headers: { 'content-type': 'application/json' },
    body: review,
  });
  options.recordErrors('workers admission', admission);
  return {
    'workers.write': { ...write, rate: writeRate },
    'workers.list': { ...list, rate: list.perSecond },
    'workers.admission': { ...admission, rate: admission.perSecond },
  };
}

/** The worker counts measured: 1, 2, … up to the cores available to this process. */
export function workerCounts(cores = availableCores()): number[] {
  return Array.from({ length: Math.max(1, cores) }, (_, i) => i + 1);
}

/** Measures every worker count (one discarded warm-up run per group) and answers the table. */
export async function workerScaling(options: ScalingOptions, counts = workerCounts()): Promise<ScalingResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-bench-workers-'));
  try {
    const tls = await loadOrGenerateTls({});
    fs.writeFileSync(path.join(tmp, 'cert.pem'), tls.cert);
    fs.writeFileSync(path.join(tmp, 'key.pem'), tls.key);
    await ensureScaleData(options.pg, options.scale, options.log);
    const review = podReview(IMAGES);
    const samples = new Map<string, Map<number, { rate: number[]; cpu: number[] }>>();
    for (const f of FIGURES) samples.set(f.id, new Map(counts.map((n) => [n, { rate: [], cpu: [] }])));
    for (const n of counts) {
      const started = Date.now();
      const group = await startGroup(n, options, tmp, path.join(tmp, 'data'));
      try {
        await ensureProjectAndNote(group.httpUrl, options.token, PROJECT, NOTE);
        await seedAdmission(group.httpUrl, options.token);
        await checkAdmitted(group.admissionUrl, review);
        await measure(group, { ...options, durationMs: Math.min(1500, options.durationMs) }, review); // warm-up, discarded
        for (let r = 0; r < options.runs; r++) {
          const m = await measure(group, options, review);
          for (const f of FIGURES) {
            const cell = samples.get(f.id)!.get(n)!;
            cell.rate.push(m[f.id]!.rate);
            cell.cpu.push(m[f.id]!.generatorCpu);
          }
        }
      } finally {
        await group.stop();
      }
      options.log(`workers: ${n} worker${n > 1 ? 's' : ''} measured in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const rows = FIGURES.map((f) => {
      const byCount = samples.get(f.id)!;
      const one = median(byCount.get(counts[0]!)!.rate);
      return {
        ...f,
        cells: counts.map((n) => {
          const c = byCount.get(n)!;
          return { workers: n, summary: summarize(c.rate), ratio: median(c.rate) / one, generatorCpu: summarize(c.cpu) };
        }),
      };
    });
    return { cores: availableCores(), split: options.split.description, rows };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function num(v: number): string {
  return v >= 1000 ? Math.round(v).toLocaleString('en') : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** The scaling table: one row per figure, one column per worker count (rate ±½ range, ratio to 1 worker, generator CPU). */
export function formatScaling(result: ScalingResult): string {
  const counts = result.rows[0]?.cells.map((c) => c.workers) ?? [];
  const header = ['worker scaling', ...counts.map((n) => `${n} worker${n > 1 ? 's' : ''} (ratio to 1; generator CPU)`)];
  const rows = result.rows.map((r) => [
    `${r.id}  ${r.label}`,
    ...r.cells.map(
      (c) =>
        `${num(c.summary.median)} ${r.unit} ±${(c.summary.spread * 50).toFixed(0)}% (${c.ratio.toFixed(2)}×; ${c.generatorCpu.median.toFixed(2)} cores)`,
    ),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
