import net from 'node:net';
import { expect } from 'chai';
import { startAdmissionWebhook, type RunningWebhook } from '../../src/admission/admission-webhook';
import { RemoteVerifier } from '../../src/admission/remote-verifier';
import { silentLogger } from '../../src/logger';
import { testToken } from '../support/test-server';
import { DIGEST, SIGNED_REPO, deploymentReview, fixture } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd, startRemoteWebhook } from './admission-harness';
import type { LooseJson } from '../support/loose-json';

describe('admission: bad input (400/413 or a denial, never an accidental admit)', () => {
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let client: WebhookClient;

  before(async () => {
    server = await startAttestd({ admission: admissionSettings({ ADMISSION_BODY_LIMIT: String(256 * 1024) }) });
    await scenario(new Rest(server.baseUrl));
    client = new WebhookClient(server.admission!);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  const review = fixture('admissionreview-deployment-tag.json');
  const badBodies: { desc: string; body: string; want: RegExp }[] = [
    { desc: 'not JSON', body: '{"kind": AdmissionReview', want: /not JSON/ },
    { desc: 'empty body', body: '', want: /not JSON/ },
    { desc: 'a JSON array', body: '[]', want: /JSON object/ },
    {
      desc: 'apiVersion admission.k8s.io/v1beta1',
      body: JSON.stringify({ ...review, apiVersion: 'admission.k8s.io/v1beta1' }),
      want: /apiVersion must be "admission.k8s.io\/v1"/,
    },
    { desc: 'kind AdmissionResponse', body: JSON.stringify({ ...review, kind: 'Pod' }), want: /kind must be "AdmissionReview"/ },
    { desc: 'no request', body: JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind }), want: /request is missing/ },
    { desc: 'no uid', body: JSON.stringify({ ...review, request: { ...review.request, uid: undefined } }), want: /request.uid is missing/ },
    {
      desc: 'uid not a string',
      body: JSON.stringify({ ...review, request: { ...review.request, uid: 42 } }),
      want: /request.uid is missing/,
    },
  ];
  it('400 for a body that is not valid UTF-8', async () => {
    const text = JSON.stringify(review);
    const at = text.indexOf('"uid"');
    const body = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]);
    const r = await client.send('POST', '/validate', body);
    expect(r.status).to.equal(400);
    expect(r.body.error.message).to.include(`the body is not valid UTF-8 (first invalid byte at offset ${at})`);
  });

  it('records decisions about image names holding a NUL or a lone surrogate, the characters shown as escapes', async () => {
    const rest = new Rest(server.baseUrl);
    for (const [image, shown] of [
      ['alpine\u0000evil:3.11', 'alpine\\u0000evil:3.11'],
      ['alpine\ud800:3.11', 'alpine\\ud800:3.11'],
    ] as const) {
      const r = structuredClone(review);
      r.request.object.spec.template.spec.containers[0].image = image;
      const answer = await client.review(r);
      expect(answer.allowed).to.equal(false);
      const name = String(answer.auditAnnotations.decision);
      expect(name).to.match(/^projects\/p1\/decisions\//);
      let stored: LooseJson;
      for (let tries = 0; tries < 100 && !stored; tries++) {
        const listed = await rest.call('GET', `/v1/projects/p1/decisions?pageSize=100`);
        stored = (listed.decisions ?? []).find((d: LooseJson) => d.name === name);
        if (!stored) await new Promise((res) => setTimeout(res, 100));
      }
      expect(stored, `decision ${name} was stored`).to.not.equal(undefined);
      expect(stored.results[0].image).to.equal(shown);
    }
  });

  for (const c of badBodies) {
    it(`400 for ${c.desc}`, async () => {
      const r = await client.send('POST', '/validate', c.body);
      expect(r.status).to.equal(400);
      expect(r.body.error.message).to.match(c.want);
    });
  }

  it('413 for a body over the limit, and the webhook keeps serving', async () => {
    const big = JSON.stringify({ ...review, padding: 'x'.repeat(300 * 1024) });
    expect((await client.send('POST', '/validate', big)).status).to.equal(413);
    const again = new WebhookClient(server.admission!);
    expect((await again.review(review)).allowed).to.equal(false);
    again.close();
  });

  const malformed: { desc: string; mutate: (r: LooseJson) => void; want: RegExp }[] = [
    { desc: 'no object', mutate: (r) => delete r.request.object, want: /request.object is missing/ },
    { desc: 'no pod template', mutate: (r) => delete r.request.object.spec.template, want: /no pod template at spec.template/ },
    { desc: 'no containers', mutate: (r) => (r.request.object.spec.template.spec.containers = []), want: /has no containers/ },
    {
      desc: 'containers not a list',
      mutate: (r) => (r.request.object.spec.template.spec.containers = { image: 'alpine' }),
      want: /containers must be a list/,
    },
    {
      desc: 'a container without image',
      mutate: (r) => delete r.request.object.spec.template.spec.containers[0].image,
      want: /containers\[0\] has no image/,
    },
    {
      desc: 'an image that is not a string',
      mutate: (r) => (r.request.object.spec.template.spec.containers[0].image = ['alpine']),
      want: /has no image/,
    },
    { desc: 'no namespace', mutate: (r) => delete r.request.namespace, want: /request.namespace is missing/ },
  ];
  for (const c of malformed) {
    it(`denies a workload with ${c.desc}`, async () => {
      const r = structuredClone(review);
      c.mutate(r);
      const answer = await client.review(r);
      expect(answer.allowed).to.equal(false);
      expect(answer.status.code).to.equal(403);
      expect(answer.status.message).to.match(c.want);
    });
  }

  it('answers 404 and 405 on other routes, and serves /healthz, /readyz and /metrics', async () => {
    expect((await client.send('GET', '/validate')).status).to.equal(405);
    expect((await client.send('POST', '/mutate', '{}')).status).to.equal(404);
    expect((await client.send('GET', '/healthz')).text).to.equal('ok\n');
    expect((await client.send('GET', '/readyz')).status).to.equal(200);
    const metrics = await client.send('GET', '/metrics');
    expect(metrics.text).to.contain('attestd_admission_reviews_total{outcome="denied"}');
  });
});

describe('admission: attestd unreachable, slow or refusing (remote mode)', function () {
  this.timeout(60_000);
  let server: Awaited<ReturnType<typeof startAttestd>>;
  const hooks: RunningWebhook[] = [];
  const clients: WebhookClient[] = [];
  const attested = (): Record<string, LooseJson> => deploymentReview([`${SIGNED_REPO}@${DIGEST}`]);
  const connect = (webhook: RunningWebhook): Promise<WebhookClient> => {
    hooks.push(webhook);
    const c = new WebhookClient(webhook);
    clients.push(c);
    return Promise.resolve(c);
  };

  before(async () => {
    server = await startAttestd();
    const rest = new Rest(server.baseUrl);
    await scenario(rest);
    await rest.post('/v1/projects/p1/witnesses/w1:attest', { image: `${SIGNED_REPO}@${DIGEST}` });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const h of hooks) await h.stop(0);
    await server?.stop();
  });

  it('stopped attestd: denied within the deadline, saying attestd is unreachable (fail-closed)', async () => {
    const other = await startAttestd();
    const client = await connect(await startRemoteWebhook(other.baseUrl));
    await scenario(new Rest(other.baseUrl));
    expect((await client.review(deploymentReview(['alpine:3.11']))).allowed).to.equal(false);
    await other.stop();
    const started = Date.now();
    const r = await client.review(attested());
    expect(Date.now() - started).to.be.below(1500 + 500);
    expect(r.allowed).to.equal(false);
    expect(r.status.message).to.match(
      /^attestd is unreachable: it did not answer \(ECONNREFUSED\); the images were not verified, so the request is denied \(fail-closed\)$/,
    );
    expect(r.auditAnnotations.reason).to.equal('UNREACHABLE');
  });

  it('attestd that accepts but never answers: denied at the internal deadline', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const client = await connect(
      await startRemoteWebhook(
        `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
        admissionSettings({ ADMISSION_DEADLINE_MS: '700' }),
      ),
    );
    const started = Date.now();
    const r = await client.review(attested());
    const took = Date.now() - started;
    for (const s of sockets) s.destroy();
    silent.close();
    expect(took).to.be.within(650, 1500);
    expect(r.allowed).to.equal(false);
    expect(r.status.message).to.match(/^attestd is unreachable: it did not answer within 700 ms; .*fail-closed/);
  });

  it("the API server's own ?timeout= shortens the deadline", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const client = await connect(
      await startRemoteWebhook(
        `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
        admissionSettings({ ADMISSION_DEADLINE_MS: '20000' }),
      ),
    );
    const started = Date.now();
    const r = await client.send('POST', '/validate?timeout=2s', JSON.stringify(attested()));
    expect(Date.now() - started).to.be.below(1800);
    expect(r.body.response.status.message).to.contain('within 1000 ms');
    silent.close();
  });

  it('fail-open, when configured, admits unverified with a warning', async () => {
    const client = await connect(await startRemoteWebhook('http://127.0.0.1:1', admissionSettings({ ADMISSION_FAIL_OPEN: 'true' })));
    const r = await client.review(deploymentReview(['alpine:3.11']));
    expect(r.allowed).to.equal(true);
    expect(r.warnings[0]).to.contain('NOT verified').and.to.contain('fail-open');
    expect(r.auditAnnotations.verdict).to.equal('fail-open');
  });

  const refusals: { desc: string; token: string | undefined; want: RegExp }[] = [
    { desc: 'no token', token: undefined, want: /rejected the admission adapter's token \(401/ },
    { desc: 'a bad token', token: 'not-a-jwt', want: /rejected the admission adapter's token \(401/ },
    { desc: 'a token without the admission role', token: undefined, want: /lacks the admission role on project p1 \(403/ },
  ];
  for (const c of refusals) {
    it(`${c.desc}: denied, saying so`, async () => {
      const token = c.desc.includes('without') ? testToken({ p1: ['viewer'] }, 'viewer') : c.token;
      const settings = admissionSettings();
      const hook = await startAdmissionWebhook(
        settings,
        { host: '127.0.0.1', port: 0 },
        new RemoteVerifier({ server: server.baseUrl, project: 'p1', cluster: 'c1', token, insecureServer: true }),
        silentLogger(),
      );
      const client = await connect(hook);
      const r = await client.review(attested());
      expect(r.allowed).to.equal(false);
      expect(r.status.message).to.match(c.want);
      expect((await client.send('GET', '/readyz')).text).to.match(/attestd: /);
    });
  }
});
