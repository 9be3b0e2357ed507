// Admission benchmark (issue 5): warm-cache and cold (VERDICT_CACHE=false) admission throughput and
// p50/p99 for a 3-image pod, against a bare node:https server that JSON.parses the review and answers a
// same-size response over the same TLS certificate with keep-alive, all in one run, printed as ratios.
// "vulns" is cold admission under a policy with a vulnerabilities block, with --findings (default 2,000)
// VULNERABILITY occurrences stored per image (a Trivy scan import each) and a VEX statement per image.
//   npm run build && node dist/bench/admission.js [--quick] [--duration S] [--occurrences N] [--cold-occurrences N]
//     [--findings N]
//     [--only warm,cold,vulns,bare]
// Needs a Postgres: BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database is made and dropped).
// Load comes from wrk in its own process: as fast as it goes for the max rate, paced (random waits between a
// connection's requests) for latency at half of it. Not a test: it prints, it asserts nothing. --json prints the figures
// as one JSON line at the end (bench/lib/admission-adapter.ts reads it).
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { loadOrGenerateTls } from '../src/admission/tls-material';
import { loadAdmissionConfig, loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { startServer, type RunningServer } from '../src/main';
import { cleanUpTestDatabases, realPostgres } from '../test/support/test-database';
import { TEST_JWT_SECRET, testToken } from '../test/support/test-server';
import { admissionReview, podTemplate } from '../test/admission/admission-fixtures';
import { availableCores } from '../src/app/available-cores';
import { cpuSplit, ensureGenerators, type CpuSplit } from './lib/generator';
import { storeFillerOccurrences } from './lib/filler-occurrences';
import { pacedConnections, wrkLoad, type GeneratedLoad } from './lib/wrk';

const REPO = '127.0.0.1:5000/bench';
const DIGESTS = ['a', 'b', 'c'].map((c) => `sha256:${c.repeat(64)}`);
const IMAGES = DIGESTS.map((d, i) => `${REPO}/app${i}@${d}`);

/** Connections of the vulns target's max-rate phase (one per core is enough to keep it busy; more only queue). */
const VULNS_CONNECTIONS = 2;

/** The line prefix of --json's output. */
export const ADMISSION_JSON_MARK = '@@admission ';

export interface Phase {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** The generator's CPU use over the phase, in cores. */
  generatorCpu: number;
  /** This process's CPU time over the phase (the servers under load and their background work) per answered review, ms. */
  cpuMsPerReview: number;
  /** Garbage collections over the phase that paused the event loop for more than 5 ms, and the longest, ms. */
  gcOver5ms: number;
  longestGcMs: number;
}

/** Runs one load phase, adding this process's CPU per review and its long GC pauses over it. */
async function withProcessCost(
  durationS: number,
  run: () => Promise<Omit<Phase, 'cpuMsPerReview' | 'gcOver5ms' | 'longestGcMs'>>,
): Promise<Phase> {
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => pauses.push(...list.getEntries().map((e: PerformanceEntry) => e.duration)));
  observer.observe({ entryTypes: ['gc'] });
  const cpu = process.cpuUsage();
  try {
    const phase = await run();
    const used = process.cpuUsage(cpu);
    const answered = Math.max(1, phase.rps * durationS);
    return {
      ...phase,
      cpuMsPerReview: (used.user + used.system) / 1000 / answered,
      gcOver5ms: pauses.filter((d) => d > 5).length,
      longestGcMs: Math.max(0, ...pauses),
    };
  } finally {
    observer.disconnect();
  }
}

/** The CPU split the runner chose (BENCH_CPU_SPLIT, when it runs this pinned), else this machine's. */
function splitOfRun(): CpuSplit {
  const given = process.env.BENCH_CPU_SPLIT;
  return given ? (JSON.parse(given) as CpuSplit) : cpuSplit(availableCores());
}

/** Measures bare https, warm and cold: max rate, then p50/p99 at half of it; prints them (bench/run.ts also reads them). */
export async function measureAdmission(
  argv: readonly string[] = process.argv.slice(2),
): Promise<{ max: Record<string, Phase>; paced: Record<string, Phase> }> {
  const quick = argv.includes('--quick');
  const flag = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const durationS = flag('--duration', quick ? 3 : 10);
  const occurrences = flag('--occurrences', quick ? 2_000 : 100_000);
  // The cold server holds 1,000,000 (issue 14's cold row): its verdicts are read from the table every time.
  const coldOccurrences = flag('--cold-occurrences', quick ? 2_000 : 1_000_000);
  // Quick (smoke) runs judge 200 findings per image: 2,000 take longer than a quick phase lasts on a busy machine.
  const findings = flag('--findings', quick ? 200 : 2_000);
  const connections = 32;
  const split = splitOfRun();
  ensureGenerators((l) => console.log(l));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('set BENCH_DATABASE_URL or TEST_DATABASE_URL to a Postgres server (postgres://…/db)');
  process.env.TEST_DATABASE_URL = url;
  const backend = realPostgres()!;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-bench-admission-'));
  const servers: RunningServer[] = [];
  try {
    const start = async (cache: boolean, vulns = false): Promise<RunningServer> => {
      const databaseUrl = await backend.createDatabase();
      const config = loadConfig({
        DATABASE_URL: databaseUrl,
        DATA_DIR: path.join(tmp, vulns ? 'vulns' : cache ? 'warm' : 'cold'),
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        ADMISSION_PORT: '0',
        LOG_LEVEL: 'silent',
        JWT_SECRET: TEST_JWT_SECRET,
        VERDICT_CACHE: String(cache),
      });
      const s = await startServer(config, silentLogger(), {
        admission: loadAdmissionConfig({ ADMISSION_PROJECT: 'p1', ADMISSION_CLUSTER: 'c1' }),
      });
      servers.push(s);
      const stored = cache || vulns ? occurrences : coldOccurrences;
      await seed(`http://127.0.0.1:${s.httpPort}`, databaseUrl, stored, vulns ? findings : 0);
      return s;
    };
    console.log(
      `admission bench: 3-image pod, ${occurrences} occurrences stored (cold: ${coldOccurrences}; vulns: and ${findings} findings per image), ` +
        `${connections} connections, ` +
        `${durationS} s phases${quick ? ' (quick)' : ''}`,
    );
    // --only warm,cold,bare: measure some targets only (profiling one path with node --cpu-prof).
    const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]!.split(',') : ['bare', 'warm', 'cold', 'vulns'];
    // The bare server mimics a real answer, captured from the first webhook started.
    const warm = only.includes('warm') || only.includes('bare') ? await start(true) : undefined;
    const cold = only.includes('cold') ? await start(false) : undefined;
    const vulns = only.includes('vulns') ? await start(false, true) : undefined;
    const review = podReview(IMAGES);
    const answer = await once((warm ?? cold ?? vulns)!.admission!.port, review);
    if (!answer.includes('"allowed":true')) throw new Error(`the webhook did not admit the seeded pod: ${answer}`);
    if (vulns) {
      const judged = await once(vulns.admission!.port, review);
      if (!judged.includes('"allowed":true')) throw new Error(`the webhook did not admit the scanned pod: ${judged}`);
    }
    const bare = await bareServer(answer);
    const targets = (
      [
        ['bare https', bare.port],
        ['warm', warm?.admission?.port],
        ['cold', cold?.admission?.port],
        ['vulns', vulns?.admission?.port],
      ] as [string, number | undefined][]
    ).filter((t): t is [string, number] => t[1] !== undefined && only.includes(t[0].split(' ')[0]!));
    const max: Record<string, Phase> = {};
    const paced: Record<string, Phase> = {};
    // One target at a time, all phases, each phase after one review answered: that review waits behind whatever
    // the previous phase left queued (database pool, decision batches), and every server shares this process's
    // event loop, so no phase measures another's backlog.
    for (const [name, port] of targets) {
      // A review judging 6,000 findings takes a good part of a second: 32 at once would all still be running when
      // a phase ends (0 answers counted), so the vulns target gets VULNS_CONNECTIONS.
      const conns = name === 'vulns' ? VULNS_CONNECTIONS : connections;
      await load(port, review, 2, conns, split); // warm-up: JIT, connections, caches
      await once(port, review);
      max[name] = await load(port, review, durationS, conns, split);
      await once(port, review);
      // p50/p99 at half the max rate (wrk, random waits between a connection's requests: no bursts).
      paced[name] = await pacedLoad(port, review, durationS, Math.max(1, Math.floor(max[name].rps / 2)), split);
      await once(port, review);
    }
    bare.server.close();
    const row = (n: string): string =>
      `${n.padEnd(11)} ${max[n]!.rps.toFixed(0).padStart(8)} req/s   ` +
      `at half rate: p50 ${paced[n]!.p50.toFixed(2).padStart(6)} ms  p99 ${paced[n]!.p99.toFixed(2).padStart(6)} ms   ` +
      `errors ${max[n]!.errors + paced[n]!.errors}   generator CPU ${max[n]!.generatorCpu.toFixed(2)} / ${paced[n]!.generatorCpu.toFixed(2)} cores   ` +
      `CPU/review ${max[n]!.cpuMsPerReview.toFixed(3)} / ${paced[n]!.cpuMsPerReview.toFixed(3)} ms   ` +
      `GC > 5 ms at half rate ${paced[n]!.gcOver5ms} (longest ${paced[n]!.longestGcMs.toFixed(1)} ms)`;
    console.log(['', ...targets.map(([n]) => row(n)), ''].join('\n'));
    if (!(max['bare https'] && max.warm && max.cold)) return { max, paced };
    const b = max['bare https'].rps;
    console.log(`warm / bare throughput: ${(max.warm.rps / b).toFixed(2)}x (goal >= 0.5)`);
    console.log(`cold / bare throughput: ${(max.cold.rps / b).toFixed(2)}x`);
    if (max.vulns) {
      console.log(
        `cold with ${findings} findings per image / bare throughput: ${(max.vulns.rps / b).toFixed(2)}x; ` +
          `p99 at half rate ${paced.vulns!.p99.toFixed(2)} ms (cold without: ${paced.cold!.p99.toFixed(2)} ms)`,
      );
    }
    console.log(
      `warm p99 at half rate: ${paced.warm!.p99.toFixed(2)} ms (goal <= 5); cold p99: ${paced.cold!.p99.toFixed(2)} ms (goal <= 25)`,
    );
    console.log(
      `p99 ratios to bare at half rate: warm ${(paced.warm!.p99 / paced['bare https']!.p99).toFixed(2)}x, ` +
        `cold ${(paced.cold!.p99 / paced['bare https']!.p99).toFixed(2)}x`,
    );
    return { max, paced };
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    await cleanUpTestDatabases();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** An AdmissionReview of a pod in namespace default running `images`, as the API server sends it. */
export function podReview(images: readonly string[]): string {
  return JSON.stringify(
    admissionReview(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench', namespace: 'default' }, spec: podTemplate(images).spec },
      {
        gvk: { group: '', version: 'v1', kind: 'Pod' },
        resource: 'pods',
        uid: '00000000-0000-4000-8000-000000000000',
      },
    ),
  );
}

/**
 * Project p1, three witnesses' worth of policy on c1/default, the three images attested, and `n` unrelated
 * occurrences; with `findings`, the policy has a vulnerabilities block and each image a scan of that many
 * findings (all within its limits, so the pod is admitted after judging every one) and a VEX statement.
 */
async function seed(base: string, databaseUrl: string, n: number, findings = 0): Promise<void> {
  const token = testToken();
  const call = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  await call('POST', '/v1/projects', { name: 'projects/p1' });
  await call('POST', '/v1/projects/p1/keys?keyId=k1', { keySpec: 'RSA_2048', purpose: 'SIGN_VERIFY' });
  await call('POST', '/v1/projects/p1/witnesses?witnessId=w1', { key: 'projects/p1/keys/k1' });
  await call('POST', '/v1/projects/p1/clusters?clusterId=c1', {});
  await call('POST', '/v1/projects/p1/policies?policyId=pol', {
    witnesses: ['projects/p1/witnesses/w1'],
    cluster: 'c1',
    namespaces: ['default'],
    enabled: true,
    ...(findings > 0 ? { vulnerabilities: { maximumSeverity: 'HIGH', requireScan: true } } : {}),
  });
  for (const image of findings > 0 ? IMAGES : []) {
    await call('POST', '/v1/projects/p1/scans', { image, report: trivyReport(image, findings) });
    await call('POST', '/v1/projects/p1/vex', {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [{ vulnerability: { name: 'CVE-2099-100000' }, products: [{ '@id': image }], status: 'fixed' }],
    });
  }
  let template: Record<string, unknown> = {};
  for (const image of IMAGES) template = await call('POST', '/v1/projects/p1/witnesses/w1:attest', { image });
  await storeFillerOccurrences(databaseUrl, 'p1', String(template.noteName), template.attestation, REPO, n);
}

/** A Trivy report of `image` with `n` findings (HIGH with a fix, MEDIUM without; the first CRITICAL, which its VEX statement suppresses). */
function trivyReport(image: string, n: number): Record<string, unknown> {
  const vulnerability = (i: number): Record<string, unknown> => ({
    VulnerabilityID: `CVE-2099-${100000 + i}`,
    PkgName: `pkg${i % 50}`,
    InstalledVersion: '1.0.0',
    ...(i % 2 === 0 ? { FixedVersion: '1.0.1', Status: 'fixed' } : { Status: 'affected' }),
    Severity: i === 0 ? 'CRITICAL' : i % 2 === 0 ? 'HIGH' : 'MEDIUM',
    Title: `bench finding ${i}`,
    PrimaryURL: `https://avd.aquasec.com/nvd/cve-2099-${100000 + i}`,
  });
  return {
    SchemaVersion: 2,
    CreatedAt: new Date().toISOString(),
    ArtifactName: image,
    ArtifactType: 'container_image',
    Metadata: { RepoDigests: [image] },
    Results: [
      {
        Target: `${image} (debian 12.5)`,
        Class: 'os-pkgs',
        Type: 'debian',
        Vulnerabilities: Array.from({ length: n }, (_, i) => vulnerability(i)),
      },
    ],
  };
}

/** One review over HTTPS, to capture the answer the bare server will mimic. */
function once(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/validate',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The baseline: node:https, same TLS key type, reads and JSON.parses the review, answers as many bytes as the webhook. */
async function bareServer(answer: string): Promise<{ server: https.Server; port: number }> {
  const tls = await loadOrGenerateTls({});
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } };
      const out = answer.replace('00000000-0000-4000-8000-000000000000', review.request.uid);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** p50/p99 at `rate` reviews per second: wrk over keep-alive TLS connections, paced with random waits (Poisson arrivals). */
async function pacedLoad(port: number, review: string, durationS: number, rate: number, split: CpuSplit): Promise<Phase> {
  const r = await load(port, review, durationS, pacedConnections(rate), split, rate);
  if (r.rps < 0.9 * rate) console.log(`paced phase on port ${port} reached ${r.rps.toFixed(0)} of ${rate} reviews/s asked`);
  return r;
}

/** wrk over TLS with `connections` keep-alive connections: the maximum rate, or `rate` reviews per second when given. */
async function load(port: number, review: string, durationS: number, connections: number, split: CpuSplit, rate?: number): Promise<Phase> {
  return withProcessCost(durationS, () =>
    wrkLoad({
      url: `https://127.0.0.1:${port}`,
      connections,
      ...(rate === undefined ? {} : { rate }),
      durationMs: durationS * 1000,
      split,
      method: 'POST',
      path: '/validate',
      headers: { 'content-type': 'application/json' },
      body: review,
    }).then(asPhase),
  );
}

function asPhase(r: GeneratedLoad): Omit<Phase, 'cpuMsPerReview' | 'gcOver5ms' | 'longestGcMs'> {
  return { rps: r.perSecond, p50: r.p50, p99: r.p99, errors: r.errors, generatorCpu: r.generatorCpu };
}

if (require.main === module) {
  measureAdmission().then(
    (r) => {
      if (process.argv.includes('--json')) process.stdout.write(`${ADMISSION_JSON_MARK}${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
