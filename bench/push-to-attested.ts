import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';
import { buildPayload } from '../src/signing/simple-signing';
import type { Benchmark } from './lib/benchmark';
import { BENCH_JWT_SECRET, rest } from './lib/fixtures';
import { waitChained } from './lib/baseline-writes';
import { closedLoop } from './lib/load';

// Registry push → verified attestation: CNCF Distribution notification envelopes (the captured fixture,
// with a fresh digest and event id per event) are POSTed to the distribution hook with an attestor token;
// a signing rule routes them to a witness whose key is RSA_2048 (RSA-PSS); the figure is events/s from the
// first POST until every event's signing is SIGNED and its audit events are chained, after which a sample is checked through :verifyImages.
// Baseline: node:crypto RSA-PSS 2048 sign + verify of the same simple-signing payload in a loop, in one
// process (attestd signs in one process too).

const PROJECT = 'bench-push';
const WITNESS = 'registry-signer';
const REGISTRY = 'registry.bench.local:5000';
const NAMESPACE = 'bench';
/**
 * Hook POSTs in flight (a registry's notification endpoints deliver in order per endpoint; several registries
 * or endpoints in parallel).
 */
const CONCURRENCY = 8;
/** Images checked with :verifyImages after each run. */
const VERIFY_SAMPLE = 20;

const FIXTURE = path.join(__dirname, '..', '..', 'test', 'fixtures', 'registry', 'distribution-push-manifest.json');

function attestorToken(): string {
  return jwt.sign({ roles: { [PROJECT]: ['attestor'] } }, BENCH_JWT_SECRET, {
    algorithm: 'HS256',
    audience: 'attestd',
    subject: 'bench-registry',
    expiresIn: '24h',
  });
}

function digestOf(run: string, i: number): string {
  return `sha256:${crypto.createHash('sha256').update(`${run}/${i}`).digest('hex')}`;
}

/** One Distribution envelope for event i of a run: the fixture's push with its digest, event id and repository varied. */
function envelope(template: { events: Record<string, unknown>[] }, repository: string, digest: string): string {
  const e = structuredClone(template.events[0]!) as { id: string; target: Record<string, string>; request: Record<string, string> };
  e.id = crypto.randomUUID();
  e.target.digest = digest;
  e.target.repository = repository;
  e.target.url = `http://${REGISTRY}/v2/${repository}/manifests/${digest}`;
  e.request.host = REGISTRY;
  return JSON.stringify({ events: [e] });
}

function post(agent: http.Agent, baseUrl: URL, token: string, urlPath: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: baseUrl.hostname,
        port: baseUrl.port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/vnd.docker.distribution.events.v1+json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} ${text.slice(0, 200)}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The baseline's key and payload, made once. */
let baselineKey: crypto.KeyPairKeyObjectResult | undefined;

export const pushToAttested: Benchmark = {
  name: 'push',
  description:
    'registry push events/s turned into verified attestations (distribution hook, RSA_2048 witness) vs RSA-PSS sign+verify in a loop',
  figures: [
    {
      id: 'push.events',
      label: 'registry events → verified attestations',
      unit: 'ev/s',
      baselineLabel: 'RSA-PSS 2048 sign+verify loop',
      target: { ratioMin: 0.5 },
    },
  ],
  quickRuns: 1,
  async prepare(ctx) {
    const url = ctx.server.httpUrl;
    const t = ctx.token;
    await rest(url, t, 'POST', '/v1/projects', { name: `projects/${PROJECT}` }, [200, 409]);
    await rest(url, t, 'POST', `/v1/projects/${PROJECT}/keys?keyId=signer`, { keySpec: 'RSA_2048' }, [200, 409]);
    // A key made under another master key (a database from before MASTER_KEY was fixed) cannot sign: rotate it.
    const key = `/v1/projects/${PROJECT}/keys/signer`;
    const probe = await fetch(`${url}${key}:sign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: 'YQ==' }),
    });
    if (probe.status === 400) await rest(url, t, 'POST', `${key}:rotate`, {});
    await rest(
      url,
      t,
      'POST',
      `/v1/projects/${PROJECT}/witnesses?witnessId=${WITNESS}`,
      { key: `projects/${PROJECT}/keys/signer` },
      [200, 409],
    );
    await rest(
      url,
      t,
      'POST',
      `/v1/projects/${PROJECT}/signingRules?ruleId=bench`,
      { registry: REGISTRY, namespace: NAMESPACE, repositories: '*', witness: `projects/${PROJECT}/witnesses/${WITNESS}`, enabled: true },
      [200, 409],
    );
    await rest(url, t, 'POST', `/v1/projects/${PROJECT}/clusters?clusterId=bench`, {}, [200, 409]);
    await rest(
      url,
      t,
      'POST',
      `/v1/projects/${PROJECT}/policies?policyId=prod`,
      { witnesses: [`projects/${PROJECT}/witnesses/${WITNESS}`], cluster: 'bench', namespaces: ['prod'], enabled: true },
      [200, 409],
    );
    baselineKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  },
  async run(ctx, runIndex) {
    const events = ctx.quick ? 100 : Math.max(300, Math.round(ctx.durationMs / 5)); // 1000 for the default 5 s
    const runId = `${Date.now().toString(36)}-${runIndex < 0 ? 'w' : runIndex}`;
    const repository = `${NAMESPACE}/push-${runId}`;
    const template = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { events: Record<string, unknown>[] };
    const bodies = Array.from({ length: events }, (_, i) => envelope(template, repository, digestOf(runId, i)));
    const base = new URL(ctx.server.httpUrl);
    const hookPath = `/v1/projects/${PROJECT}/hooks/distribution`;
    const token = attestorToken();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

    const signed = async (): Promise<{ signed: number; failed: number }> => {
      const r = await ctx.pg.query<{ status: string; n: string }>(
        `SELECT status, count(*) AS n FROM hook_signings WHERE project_id = $1 AND registry = $2 AND repository = $3 GROUP BY status`,
        [PROJECT, REGISTRY, repository],
      );
      const of = (s: string): number => Number(r.rows.find((x) => x.status === s)?.n ?? 0);
      return { signed: of('SIGNED'), failed: of('FAILED') };
    };

    const started = performance.now();
    let next = 0;
    let errors = 0;
    let firstError: string | undefined;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < events) {
          const i = next++;
          try {
            await post(agent, base, token, hookPath, bodies[i]!);
          } catch (err) {
            errors++;
            firstError ??= (err as Error).message;
          }
        }
      }),
    );
    agent.destroy();
    ctx.recordErrors('push.hook', { errors, firstError });
    const posted = performance.now();
    // Until every accepted event is signed (or a minute passes: then the figure is what got signed).
    const deadline = posted + 60_000;
    let state = await signed();
    while (state.signed + state.failed < events - errors && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      state = await signed();
    }
    await waitChained(ctx.pg, PROJECT);
    const seconds = (performance.now() - started) / 1000;
    ctx.recordErrors('push.signing', {
      errors: state.failed + Math.max(0, events - errors - state.signed - state.failed),
      firstError: state.failed ? 'signings FAILED' : 'signings not done within 60 s',
    });
    ctx.log(
      `push: ${events} events posted in ${((posted - started) / 1000).toFixed(2)} s, all signed and audited after ${seconds.toFixed(2)} s`,
    );

    // The attestations exist and verify: a sample through :verifyImages (the admission path's verifier).
    const sample = Array.from(
      { length: Math.min(VERIFY_SAMPLE, events) },
      (_, k) => `${REGISTRY}/${repository}@${digestOf(runId, Math.floor((k * events) / Math.min(VERIFY_SAMPLE, events)))}`,
    );
    const verdict = (await rest(ctx.server.httpUrl, ctx.token, 'POST', `/v1/projects/${PROJECT}:verifyImages`, {
      cluster: 'bench',
      namespace: 'prod',
      images: sample,
    })) as {
      results: { allowed: boolean; reason?: string }[];
    };
    const denied = verdict.results.filter((r) => !r.allowed);
    ctx.recordErrors('push.verify', { errors: denied.length, firstError: denied[0]?.reason });

    // Baseline: sign + verify the same payload shape in a loop for as long as attestd took (at least 1 s).
    const payload = buildPayload({
      repository: `${REGISTRY}/${repository}`,
      digest: digestOf(runId, 0),
      creator: `attestd witness projects/${PROJECT}/witnesses/${WITNESS} for bench-registry`,
      timestamp: Math.floor(Date.now() / 1000),
    });
    const { privateKey, publicKey } = baselineKey!;
    const pss = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    const loop = await closedLoop(1, Math.max(1000, Math.min(ctx.durationMs, seconds * 1000)), () => {
      const sig = crypto.sign('sha256', payload, { key: privateKey, ...pss });
      if (!crypto.verify('sha256', payload, { key: publicKey, ...pss }, sig)) throw new Error('baseline signature does not verify');
      return Promise.resolve();
    });
    ctx.recordErrors('push baseline', loop);
    return { 'push.events': { value: state.signed / seconds, baseline: loop.perSecond } };
  },
};
