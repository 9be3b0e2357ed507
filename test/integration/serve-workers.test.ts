import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { AttestdProcess } from '../support/attestd-process';
import { digest } from '../support/api-client';
import { realPostgres } from '../support/test-database';
import { testToken } from '../support/test-server';
import type { LooseJson } from '../support/loose-json';
import { availableCores } from '../../src/app/available-cores';
import { childrenOf, until } from '../support/until';

// `attestd serve --workers 2`: two processes on the same ports (node:cluster), one set of background jobs.
// Registry pushes delivered across both are signed exactly once, the audit chain stays one intact chain, a
// worker that dies is started again, and SIGTERM drains the group.

const P = 'workers';
const REGISTRY = 'registry.example:5000';
const PUSHES = 40;

describe('attestd serve --workers 2', function () {
  this.timeout(180_000);
  let attestd: AttestdProcess | undefined;
  let base = '';
  let dataDir = '';
  let databaseUrl = '';
  const token = testToken();

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: LooseJson }> => {
    // A new connection per call, so that the primary hands calls to either worker.
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const must = async (method: string, path: string, body?: unknown): Promise<LooseJson> => {
    const r = await call(method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).to.equal(200);
    return r.json;
  };

  before(async function () {
    const backend = realPostgres();
    if (!backend) {
      if (process.env.CI === 'true') throw new Error('the workers test needs TEST_DATABASE_URL under CI=true');
      console.warn('\n*** SKIPPING the workers test: set TEST_DATABASE_URL to a PostgreSQL (workers need DATABASE_URL) ***\n');
      this.skip();
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-workers-'));
    databaseUrl = await backend.createDatabase();
    attestd = new AttestdProcess({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, WORKERS: '2', LOG_LEVEL: 'info' });
    base = await attestd.baseUrl();
    await until('both workers to serve', () => (attestd!.log().includes('attestd serving with every worker') ? true : undefined));
  });
  after(async () => {
    await attestd?.kill9();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs two serving processes under one supervisor', () => {
    expect(childrenOf(attestd!.child.pid!)).to.have.length(2);
    expect(attestd!.log().match(/"msg":"attestd serving"/g)).to.have.length(2);
  });

  it('each worker holds its own LISTEN session and pool: WORKERS × (DATABASE_POOL_MAX + 1) connections at most (docs/operations.md)', async () => {
    const database = new URL(databaseUrl).pathname.slice(1);
    const sessions = async (): Promise<Array<{ query: string; application_name: string }>> => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        const r = await c.query('SELECT query, application_name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
          database,
        ]);
        return r.rows as Array<{ query: string; application_name: string }>;
      } finally {
        await c.end();
      }
    };
    const listening = await until('both workers to listen', async () => {
      const rows = (await sessions()).filter((r) => r.query === 'LISTEN attestd_changes');
      return rows.length >= 2 ? rows : undefined;
    });
    expect(listening, 'one LISTEN session per worker, none for the supervisor').to.have.length(2);
    // A burst of concurrent reads through both workers: the pools grow, never past DATABASE_POOL_MAX (10) each.
    await Promise.all(Array.from({ length: 60 }, () => must('GET', '/v1/projects?pageSize=1')));
    const all = await sessions();
    expect(all.length, JSON.stringify(all)).to.be.at.most(2 * (10 + 1));
    expect(all.filter((r) => r.query === 'LISTEN attestd_changes')).to.have.length(2);
  });

  it('signs pushes delivered to either worker exactly once, and keeps one intact audit chain', async () => {
    await must('POST', '/v1/projects', { name: `projects/${P}` });
    await must('POST', `/v1/projects/${P}/keys?keyId=k`, { keySpec: 'EC_P256' });
    await must('POST', `/v1/projects/${P}/witnesses?witnessId=w`, { key: `projects/${P}/keys/k` });
    await must('POST', `/v1/projects/${P}/signingRules?ruleId=team`, {
      registry: REGISTRY,
      namespace: 'team',
      repositories: '*',
      witness: `projects/${P}/witnesses/w`,
      enabled: true,
    });
    const images = Array.from({ length: PUSHES }, (_, i) => `${REGISTRY}/team/app@${digest(`workers-${i}`)}`);
    // Each image delivered twice, as registries redeliver: still one signature each.
    await Promise.all([...images, ...images].map((image) => must('POST', `/v1/projects/${P}/hooks/generic`, { images: [image] })));
    const events = await until('every push to be signed', async () => {
      const listed = await must('GET', `/v1/projects/${P}/hookEvents?pageSize=1000`);
      const all = (listed.hookEvents ?? []) as Array<{ status: string; image: string }>;
      return all.length >= PUSHES && all.every((e) => e.status === 'SIGNED') ? all : undefined;
    });
    expect(new Set(events.map((e) => e.image)).size).to.equal(PUSHES);
    const occurrences = (await must('GET', `/v1/projects/${P}/occurrences?pageSize=1000`)).occurrences as Array<{ resourceUri: string }>;
    expect(occurrences).to.have.length(PUSHES);
    expect(new Set(occurrences.map((o) => o.resourceUri)).size, 'no image signed twice').to.equal(PUSHES);
    const chain = await until('the audit chain to be sequenced', async () => {
      const v = await must('GET', `/v1/projects/${P}/auditEvents:verify`);
      return v.pendingEvents === '0' ? v : undefined;
    });
    expect(chain, JSON.stringify(chain)).to.include({ intact: true });
    expect(chain.problems).to.deep.equal([]);
  });

  it('starts a worker that died again, and keeps serving meanwhile', async () => {
    const [victim] = childrenOf(attestd!.child.pid!);
    process.kill(victim!, 'SIGKILL');
    // A connection handed to the worker as it died is lost with it (ADR 0070); the other worker serves the rest.
    let served = 0;
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${base}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(3000) }).catch(
        () => undefined,
      );
      if (res?.status === 200) served++;
    }
    expect(served).to.be.at.least(8);
    const replaced = await until('a new worker', () => {
      const now = childrenOf(attestd!.child.pid!);
      return now.length === 2 && !now.includes(victim!) ? now : undefined;
    });
    expect(replaced).to.have.length(2);
    await until('the new worker to serve', () => ((attestd!.log().match(/"msg":"attestd serving"/g) ?? []).length >= 3 ? true : undefined));
    expect(attestd!.log()).to.include('attestd worker died; starting it again');
    for (let i = 0; i < 10; i++) expect((await call('GET', `/v1/projects/${P}`)).status).to.equal(200);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const pid = attestd!.child.pid!;
    const workers = childrenOf(pid);
    expect(await attestd!.terminate()).to.equal(0);
    for (const w of workers) expect(() => process.kill(w, 0), `worker ${w} is gone`).to.throw();
  });
});

describe('available cores', () => {
  it('reads a cgroup v2 CPU quota and never answers less than 1', () => {
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    const file = `${dir}/cpu.max`;
    const write = (text: string): void => void execFileSync('sh', ['-c', `printf '%s' '${text}' > ${file}`]);
    write('max 100000');
    expect(availableCores(file)).to.be.at.least(1);
    write('50000 100000');
    expect(availableCores(file)).to.equal(1);
    write('garbage');
    expect(availableCores(file)).to.be.at.least(1);
    expect(availableCores(`${dir}/missing`)).to.be.at.least(1);
  });
});
