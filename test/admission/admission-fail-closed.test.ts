import { Writable } from 'node:stream';
import { expect } from 'chai';
import { startAdmissionWebhook, type RunningWebhook } from '../../src/admission/admission-webhook';
import { RemoteVerifier } from '../../src/admission/remote-verifier';
import { createLogger } from '../../src/logger';
import { testToken } from '../support/test-server';
import type { LooseJson } from '../support/loose-json';
import { DIGEST, SIGNED_REPO, deploymentReview } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd } from './admission-harness';

/** A pino logger whose lines are kept, parsed. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, LooseJson>[]; raw: string[] } {
  const lines: Record<string, LooseJson>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l) as Record<string, LooseJson>);
      }
      done();
    },
  });
  return { logger: createLogger('info', sink), lines, raw };
}

/** Polls `read` until `ok` holds (decisions are written about once a second). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('admission fails closed on a misconfigured project (real AdmissionReviews)', function () {
  this.timeout(90_000);
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let rest: Rest;
  const hooks: RunningWebhook[] = [];
  const clients: WebhookClient[] = [];

  before(async () => {
    // attestd serve --admission --project dmeo: a typo of the project the scenario creates.
    server = await startAttestd({ admission: admissionSettings({ ADMISSION_PROJECT: 'dmeo' }) });
    rest = new Rest(server.baseUrl);
    await scenario(rest);
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const h of hooks) await h.stop(0);
    await server?.stop();
  });

  const connect = (webhook: RunningWebhook): WebhookClient => {
    const c = new WebhookClient(webhook);
    clients.push(c);
    return c;
  };

  it('in-process (serve --admission --project dmeo): not ready, and every review denied naming --project / ADMISSION_PROJECT', async () => {
    const client = connect(server.admission!);
    const ready = await client.send('GET', '/readyz');
    expect(ready.status).to.equal(503);
    expect(ready.text).to.match(/^not ready: the admission adapter is misconfigured: project projects\/dmeo does not exist/);
    expect(ready.text).to.contain('--project / ADMISSION_PROJECT');
    for (const image of ['alpine:3.11', `${SIGNED_REPO}@${DIGEST}`]) {
      const r = await client.review(deploymentReview([image]));
      expect(r.allowed, image).to.equal(false);
      expect(r.status.code).to.equal(403);
      expect(r.status.message).to.match(/^the admission adapter is misconfigured: project projects\/dmeo does not exist/);
      expect(r.status.message).to.contain('create project dmeo or fix --project / ADMISSION_PROJECT');
      expect(r.status.message).to.match(/the images were not verified, so the request is denied \(fail-closed\)$/);
      expect(r.auditAnnotations.reason).to.equal('MISCONFIGURED');
      expect(r.auditAnnotations).not.to.have.property('decision');
    }
  });

  it('stand-alone adapter with a * token and --project dmeo: not ready, denies, never leaks the server URL, logs one line per denial', async () => {
    const { logger, lines, raw } = capturingLogger();
    const token = testToken({ '*': ['admin'] }, 'star-adapter');
    const settings = admissionSettings({ ADMISSION_PROJECT: 'dmeo' });
    const verifier = new RemoteVerifier({ server: server.baseUrl, project: 'dmeo', cluster: 'c1', token, insecureServer: true });
    const hook = await startAdmissionWebhook(settings, { host: '127.0.0.1', port: 0 }, verifier, logger);
    hooks.push(hook);
    const client = connect(hook);
    const ready = await client.send('GET', '/readyz');
    expect(ready.status).to.equal(503);
    expect(ready.text).to.contain('--project / ADMISSION_PROJECT');
    const before = lines.filter((l) => l.msg === 'admission denied: no verdict (fail-closed)').length;
    const r = await client.review(deploymentReview(['alpine:3.11']));
    expect(r.allowed).to.equal(false);
    expect(r.status.message).to.contain('project projects/dmeo does not exist');
    expect(r.status.message).to.contain('--project / ADMISSION_PROJECT');
    expect(r.status.message).not.to.contain('127.0.0.1');
    expect(r.status.message).not.to.contain('http');
    const denials = lines.filter((l) => l.msg === 'admission denied: no verdict (fail-closed)');
    expect(denials.length - before).to.equal(1);
    const line = denials.at(-1)!;
    expect(line).to.include({ namespace: 'default', kind: 'Deployment', reason: 'MISCONFIGURED' });
    expect(line.verifier).to.equal(`attestd at ${server.baseUrl}`);
    expect(raw.join('\n')).not.to.contain(token);
  });

  it('the decision API refuses a project that does not exist: :verifyImages is NOT_FOUND, not NO_POLICY', async () => {
    const res = await fetch(`${server.baseUrl}/v1/projects/dmeo:verifyImages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cluster: 'c1', namespace: 'default', images: ['alpine:3.11'] }),
    });
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.contain('projects/dmeo does not exist');
  });

  it('every decision an answer names is stored; a correct adapter logs one line per denied review', async () => {
    const { logger, lines } = capturingLogger();
    const verifier = new RemoteVerifier({
      server: server.baseUrl,
      project: 'p1',
      cluster: 'c1',
      token: testToken({ p1: ['admission'] }, 'admission-webhook'),
      insecureServer: true,
    });
    const hook = await startAdmissionWebhook(admissionSettings(), { host: '127.0.0.1', port: 0 }, verifier, logger);
    hooks.push(hook);
    const client = connect(hook);
    expect((await client.send('GET', '/readyz')).status).to.equal(200);
    const denied = await client.review(deploymentReview(['alpine:3.11']));
    const admitted = await client.review(deploymentReview(['alpine:3.11'], 'kube-public'));
    expect(denied.allowed).to.equal(false);
    expect(denied.status.message).to.equal('image alpine:3.11 is not attested');
    expect(admitted.allowed).to.equal(true);
    const names = [denied.auditAnnotations.decision, admitted.auditAnnotations.decision];
    const stored = await eventually(
      async () => ((await rest.call('GET', '/v1/projects/p1/decisions?pageSize=1000')).decisions as LooseJson[]).map((d) => d.name),
      (all: LooseJson[]) => names.every((n) => all.includes(n)),
    );
    expect(stored).to.include.members(names);
    const denials = lines.filter((l) => String(l.msg).startsWith('admission denied'));
    expect(denials).to.have.length(1);
    expect(denials[0]).to.include({ msg: 'admission denied', decision: denied.auditAnnotations.decision, message: denied.status.message });
  });

  it('an adapter started for an unregistered cluster (stand-alone and in-process): not ready, denies saying so', async () => {
    const remote = await startAdmissionWebhook(
      admissionSettings({ ADMISSION_CLUSTER: 'prod-c1' }),
      { host: '127.0.0.1', port: 0 },
      new RemoteVerifier({ server: server.baseUrl, project: 'p1', cluster: 'prod-c1', token: testToken(), insecureServer: true }),
      capturingLogger().logger,
    );
    hooks.push(remote);
    const inProcess = await startAttestd({ admission: admissionSettings({ ADMISSION_CLUSTER: 'prod-c1' }) });
    try {
      await scenario(new Rest(inProcess.baseUrl));
      for (const hook of [remote, inProcess.admission!]) {
        const client = connect(hook);
        const ready = await client.send('GET', '/readyz');
        expect(ready.status).to.equal(503);
        expect(ready.text).to.contain('cluster prod-c1 is not registered in project p1; registered clusters: c1');
        expect(ready.text).to.contain('fix --cluster / ADMISSION_CLUSTER');
        const r = await client.review(deploymentReview(['alpine:3.11']));
        expect(r.allowed).to.equal(false);
        expect(r.status.message).to.match(
          /^the admission adapter is misconfigured: cluster prod-c1 is not registered in project p1; registered clusters: c1 .*register cluster prod-c1 \(attestd clusters create prod-c1 --project p1\) or fix --cluster \/ ADMISSION_CLUSTER; the images were not verified, so the request is denied \(fail-closed\)$/,
        );
        expect(r.auditAnnotations).not.to.have.property('decision');
      }
      // Registering the cluster makes the adapter ready: no restart.
      await new Rest(inProcess.baseUrl).post('/v1/projects/p1/clusters?clusterId=prod-c1', {});
      const client = connect(inProcess.admission!);
      expect((await client.send('GET', '/readyz')).status).to.equal(200);
      expect((await client.review(deploymentReview(['alpine:3.11']))).auditAnnotations.reason).to.equal(undefined);
    } finally {
      await inProcess.stop();
    }
  });

  it(':verifyImages for a cluster that is not registered is NOT_FOUND listing the registered ones (no NO_POLICY for a typo)', async () => {
    const res = await fetch(`${server.baseUrl}/v1/projects/p1:verifyImages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cluster: 'c-typo', namespace: 'default', images: ['alpine:3.11'] }),
    });
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.equal(
      'cluster c-typo is not registered in project p1; registered clusters: c1 ' +
        '(or register it with POST /v1/projects/p1/clusters?clusterId=… (attestd clusters create))',
    );
  });

  it('each adapter reports in: GET the cluster shows adapter, version, mode, last seen and decisions served', async () => {
    const verifier = new RemoteVerifier({
      server: server.baseUrl,
      project: 'p1',
      cluster: 'c1',
      token: testToken({ p1: ['admission'] }, 'admission-webhook'),
      insecureServer: true,
      adapter: 'adapter-pod-1',
    });
    const hook = await startAdmissionWebhook(
      admissionSettings(),
      { host: '127.0.0.1', port: 0, reportIntervalMs: 200 },
      verifier,
      capturingLogger().logger,
    );
    hooks.push(hook);
    const client = connect(hook);
    for (const image of ['alpine:3.11', 'busybox:1']) expect((await client.review(deploymentReview([image]))).allowed).to.equal(false);
    const shown = await eventually(
      async () => ((await rest.call('GET', '/v1/projects/p1/clusters/c1')).adapters ?? []) as LooseJson[],
      (all: LooseJson[]) => all.some((a) => a.adapter === 'adapter-pod-1' && a.decisionsServed === '2'),
    );
    const remote = shown.find((a) => a.adapter === 'adapter-pod-1')!;
    expect(remote).to.include({ mode: 'remote', version: '0.1.0', decisionsServed: '2' });
    expect(Date.parse(remote.lastSeen)).to.be.at.least(Date.parse(remote.firstSeen));
    // The in-process adapter of `serve --admission` reports in too (its /readyz is one report).
    const inProcess = await startAttestd({ admission: admissionSettings() });
    try {
      const other = new Rest(inProcess.baseUrl);
      await scenario(other);
      expect((await connect(inProcess.admission!).send('GET', '/readyz')).status).to.equal(200);
      const adapters = (await other.call('GET', '/v1/projects/p1/clusters/c1')).adapters as LooseJson[];
      expect(adapters.map((a) => a.mode)).to.deep.equal(['in-process']);
      const listed = (await other.call('GET', '/v1/projects/p1/clusters')).clusters as LooseJson[];
      expect(listed.map((c) => c.name)).to.deep.equal(['projects/p1/clusters/c1']);
    } finally {
      await inProcess.stop();
    }
    // A viewer cannot report in for a cluster.
    const res = await fetch(`${server.baseUrl}/v1/projects/p1/clusters/c1:reportIn`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken({ p1: ['viewer'] }, 'v')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ adapter: 'x', version: '1', mode: 'remote', decisionsServed: '0' }),
    });
    expect(res.status).to.equal(403);
  });

  it('becomes ready, and checks images, once the project exists', async () => {
    await rest.post('/v1/projects', { name: 'projects/dmeo' });
    await rest.post('/v1/projects/dmeo/clusters?clusterId=c1', {});
    const client = connect(server.admission!);
    const ready = await client.send('GET', '/readyz');
    expect(ready.status).to.equal(200);
    const r = await client.review(deploymentReview(['alpine:3.11']));
    expect(r.auditAnnotations.verdict).to.equal('allowed');
    expect(r.warnings ?? []).to.deep.equal([]);
    expect(r.auditAnnotations.decision).to.match(/^projects\/dmeo\/decisions\//);
  });
});
