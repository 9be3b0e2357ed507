import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRAFEAS_PROTO_FILES, PROTO_INCLUDE_DIRS } from '../../src/proto/proto-root';
import { loadAdmissionConfig } from '../../src/config';
import type { RunningWebhook } from '../../src/admission/admission-webhook';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { WebhookClient, startRemoteWebhook } from '../admission/admission-harness';
import { deploymentReview } from '../admission/admission-fixtures';
import { restCall, type RestReply } from '../support/rest-call';
import type { ClientMethod } from '../support/grpc-clients';
import { debianPostgresBin, PrivateCluster } from '../support/private-cluster';

// Fault test: a private PostgreSQL cluster made for this test (Debian's initdb and pg_ctl, as the
// postgres user when we are root), stopped and restarted under a running attestd. While it is down
// requests fail fast with UNAVAILABLE on both transports and /readyz says 503; once it is back the
// server recovers by itself and nothing it acknowledged is lost. Then it is frozen (SIGSTOP: it accepts
// connections and answers nothing): every request answers UNAVAILABLE by its deadline (REQUEST_DEADLINE_MS,
// the admission deadline), and once thawed nothing acknowledged is missing. The machine's shared server is
// never touched.

const PROJECT = 'fault';
const NOTE = `projects/${PROJECT}/notes/n`;
const UNSIGNED = `127.0.0.1:5000/team/app@sha256:${'c'.repeat(64)}`;
const FAIL_FAST_MS = 10_000;
const RECOVERY_MS = 60_000;
/** The server's REQUEST_DEADLINE_MS here (short, to keep the test quick). */
const REQUEST_DEADLINE_MS = 3000;
const FROZEN_GRPC_URI = `https://r/frozen@sha256:${'b'.repeat(64)}`;

function call(server: TestServer, method: string, urlPath: string, body?: unknown): Promise<RestReply> {
  return restCall(server.baseUrl, testToken(), method, urlPath, body);
}

function occurrence(i: number): Record<string, unknown> {
  return {
    noteName: NOTE,
    resourceUri: `https://r/fault${i}@sha256:${i.toString(16).padStart(64, '0')}`,
    attestation: { serializedPayload: 'aGk=', signatures: [{ signature: 'c2ln', publicKeyId: 'k' }] },
  };
}

/** Every occurrence in the project (name → resourceUri), paging through the whole list. */
async function listOccurrenceNames(server: TestServer): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let token = '';
  for (let page = 0; page < 100; page++) {
    const reply = await call(server, 'GET', `/v1/projects/${PROJECT}/occurrences?pageSize=1000&pageToken=${encodeURIComponent(token)}`);
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    for (const o of reply.body.occurrences ?? []) names.set(o.name, o.resourceUri);
    token = reply.body.nextPageToken ?? '';
    if (!token) return names;
  }
  throw new Error('too many pages');
}

function grafeasClient(address: string): grpc.Client & Record<string, ClientMethod> {
  const definition = protoLoader.loadSync([...GRAFEAS_PROTO_FILES], {
    includeDirs: PROTO_INCLUDE_DIRS,
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const v1 = (grpc.loadPackageDefinition(definition).grafeas as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Grafeas = v1.Grafeas as grpc.ServiceClientConstructor;
  return new Grafeas(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, ClientMethod>;
}

function grpcCall(
  client: grpc.Client & Record<string, ClientMethod>,
  method: string,
  request: unknown,
): Promise<{ code: number; ms: number; details?: string }> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${testToken()}`);
  const started = Date.now();
  return new Promise((resolve) => {
    client[method]!.call(client, request, metadata, { deadline: Date.now() + 60_000 }, (err: grpc.ServiceError | null) => {
      resolve({ code: err ? err.code : grpc.status.OK, ms: Date.now() - started, details: err?.details });
    });
  });
}

describe('attestd when its PostgreSQL goes away and comes back', function () {
  this.timeout(240_000);
  let cluster: PrivateCluster | undefined;
  let server: TestServer | undefined;
  let client: (grpc.Client & Record<string, ClientMethod>) | undefined;
  const acknowledged = new Set<string>();
  // Both admission adapters: in-process (serve --admission) and stand-alone (attestd admission --server …).
  const admission = loadAdmissionConfig({ ADMISSION_PROJECT: PROJECT, ADMISSION_CLUSTER: 'c1', ADMISSION_DEADLINE_MS: '5000' }, {});
  let remote: RunningWebhook | undefined;
  let inProcessClient: WebhookClient | undefined;
  let remoteClient: WebhookClient | undefined;
  /** The uids of the reviews answered while the database was down: each must become a recorded decision. */
  const outageReviews: string[] = [];
  /** The uids of the reviews answered while the database was frozen. */
  const frozenReviews: string[] = [];
  /** The resources of writes answered "may or may not have been stored" (cut while committing). */
  const outcomeUnknown = new Set<string>();
  const MAY_BE_STORED = /may or may not have been stored/;
  let frozen = false;

  before(async function () {
    const bin = debianPostgresBin();
    if (bin === undefined) {
      const why = 'the Debian PostgreSQL package (initdb, pg_ctl under /usr/lib/postgresql/*/bin) is not installed';
      if (process.env.CI === 'true')
        throw new Error(`postgres fault test cannot run under CI=true: ${why}; .ci/run must install postgresql`);
      console.warn(`\n*** SKIPPING the PostgreSQL fault test: ${why} (apt-get install -y postgresql) ***\n`);
      this.skip();
    }
    cluster = await PrivateCluster.create(bin);
    await cluster.start();
    server = await startTestServer({ databaseUrl: cluster.url, admission, env: { REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS) } });
    client = grafeasClient(server.grpcAddress);
    inProcessClient = new WebhookClient(server.admission!);
    remote = await startRemoteWebhook(server.baseUrl, admission, testToken({ [PROJECT]: ['admission'] }, 'admission-webhook'));
    remoteClient = new WebhookClient(remote);
  });

  after(async () => {
    if (frozen) cluster?.signalAll('SIGCONT');
    inProcessClient?.close();
    remoteClient?.close();
    await remote?.stop(0);
    client?.close();
    await server?.stop().catch(() => undefined);
    await cluster?.destroy();
  });

  it('writes rows while the database is up', async () => {
    const s = server!;
    expect((await call(s, 'POST', '/v1/projects', { name: `projects/${PROJECT}` })).status).to.equal(200);
    const note = await call(s, 'POST', `/v1/projects/${PROJECT}/notes?noteId=n`, { attestation: { hint: { humanReadableName: 'n' } } });
    expect(note.status, JSON.stringify(note.body)).to.equal(200);
    for (let i = 0; i < 5; i++) {
      const one = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences`, occurrence(i));
      expect(one.status, JSON.stringify(one.body)).to.equal(200);
      acknowledged.add(one.body.name);
    }
    const batch = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences:batchCreate`, {
      occurrences: Array.from({ length: 100 }, (_, i) => occurrence(100 + i)),
    });
    expect(batch.status, JSON.stringify(batch.body)).to.equal(200);
    for (const o of batch.body.occurrences) acknowledged.add(o.name);
    expect(acknowledged.size).to.equal(105);
    // A cluster and a policy for the admission adapters: an unsigned image is denied as not attested.
    expect((await call(s, 'POST', `/v1/projects/${PROJECT}/keys?keyId=k`, { keySpec: 'EC_P256' })).status).to.equal(200);
    expect((await call(s, 'POST', `/v1/projects/${PROJECT}/witnesses?witnessId=w`, { key: `projects/${PROJECT}/keys/k` })).status).to.equal(
      200,
    );
    expect((await call(s, 'POST', `/v1/projects/${PROJECT}/clusters?clusterId=c1`, {})).status).to.equal(200);
    const policy = { witnesses: [`projects/${PROJECT}/witnesses/w`], cluster: 'c1', namespaces: ['default'], enabled: true };
    expect((await call(s, 'POST', `/v1/projects/${PROJECT}/policies?policyId=gate`, policy)).status).to.equal(200);
    const denied = await inProcessClient!.review(deploymentReview([UNSIGNED]));
    expect(denied.status.message).to.equal(`image ${UNSIGNED} is not attested`);
    expect((await remoteClient!.send('GET', '/upstreamz')).status).to.equal(200);
    expect((await call(s, 'GET', '/readyz')).status).to.equal(200);
    expect((await grpcCall(client!, 'listNotes', { parent: `projects/${PROJECT}` })).code).to.equal(grpc.status.OK);
  });

  it('answers UNAVAILABLE quickly on REST and gRPC, and /readyz 503, while the database is stopped', async () => {
    const s = server!;
    await cluster!.stop('fast');

    const write = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences`, occurrence(1000));
    expect(write.status, JSON.stringify(write.body)).to.equal(503);
    expect(write.body.error).to.include({ code: 503, status: 'UNAVAILABLE' });
    expect(write.body.error.message).to.match(/database/i);
    expect(write.ms, 'a write while the database is down answers without hanging').to.be.below(FAIL_FAST_MS);

    const batch = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences:batchCreate`, {
      occurrences: [occurrence(1001), occurrence(1002)],
    });
    expect(batch.status, JSON.stringify(batch.body)).to.equal(503);
    expect(batch.body.error.status).to.equal('UNAVAILABLE');
    expect(batch.ms).to.be.below(FAIL_FAST_MS);

    const read = await call(s, 'GET', `/v1/projects/${PROJECT}/occurrences?pageSize=10`);
    expect(read.status, JSON.stringify(read.body)).to.equal(503);
    expect(read.body.error).to.include({ code: 503, status: 'UNAVAILABLE' });
    expect(read.ms).to.be.below(FAIL_FAST_MS);

    const ready = await call(s, 'GET', '/readyz');
    expect(ready.status).to.equal(503);
    expect(ready.ms).to.be.below(FAIL_FAST_MS);
    expect((await call(s, 'GET', '/healthz')).status, 'liveness does not depend on the database').to.equal(200);

    const listed = await grpcCall(client!, 'listOccurrences', { parent: `projects/${PROJECT}`, pageSize: 10 });
    expect(listed.code, listed.details).to.equal(grpc.status.UNAVAILABLE);
    expect(listed.details, 'the server says why (not a client-side connection failure)').to.match(/database/i);
    expect(listed.ms).to.be.below(FAIL_FAST_MS);
    const created = await grpcCall(client!, 'createOccurrence', {
      parent: `projects/${PROJECT}`,
      occurrence: {
        noteName: NOTE,
        resourceUri: 'https://r/grpc@sha256:' + 'a'.repeat(64),
        attestation: { serializedPayload: Buffer.from('hi'), signatures: [{ signature: Buffer.from('sig'), publicKeyId: 'k' }] },
      },
    });
    expect(created.code, created.details).to.equal(grpc.status.UNAVAILABLE);
    expect(created.ms).to.be.below(FAIL_FAST_MS);
  });

  it('denies reviews while the database is stopped, through both adapters, saying why, and records them later', async () => {
    for (const webhook of [inProcessClient!, remoteClient!]) {
      const review = deploymentReview([UNSIGNED]);
      const answer = await webhook.review(review);
      expect(answer.allowed).to.equal(false);
      expect(answer.status.message).to.equal(
        `image ${UNSIGNED} could not be verified because attestd could not read its database (the database is unavailable; retry shortly)`,
      );
      expect(answer.auditAnnotations.decision, 'the denial names the decision it will be recorded as').to.match(
        /^projects\/fault\/decisions\//,
      );
      outageReviews.push(review.request.uid);
    }
    // The stand-alone adapter stays ready (a restart could not help) and says what is wrong at /upstreamz.
    expect((await remoteClient!.send('GET', '/readyz')).status).to.equal(200);
    const upstream = await remoteClient!.send('GET', '/upstreamz');
    expect(upstream.status).to.equal(503);
    expect(upstream.text).to.match(/^attestd cannot answer: .*database/);
  });

  it('recovers by itself when the database is back, with every acknowledged row kept', async () => {
    const s = server!;
    await cluster!.start();

    const deadline = Date.now() + RECOVERY_MS;
    let last: RestReply | undefined;
    for (let i = 2000; ; i++) {
      last = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences`, occurrence(i));
      if (last.status === 200) {
        acknowledged.add(last.body.name);
        break;
      }
      expect(last.status, `only UNAVAILABLE while recovering: ${JSON.stringify(last.body)}`).to.equal(503);
      if (Date.now() > deadline) throw new Error(`attestd did not recover within ${RECOVERY_MS} ms: ${JSON.stringify(last.body)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    expect((await call(s, 'GET', '/readyz')).status).to.equal(200);
    expect((await grpcCall(client!, 'listOccurrences', { parent: `projects/${PROJECT}`, pageSize: 10 })).code).to.equal(grpc.status.OK);

    const stored = await listOccurrenceNames(s);
    const missing = [...acknowledged].filter((name) => !stored.has(name));
    expect(missing, 'acknowledged occurrences missing after the restart').to.deep.equal([]);
    expect(stored.size, 'nothing refused while the database was down was written').to.equal(acknowledged.size);
  });

  it('records the reviews denied during the outage once the database is back', async () => {
    const s = server!;
    const deadline = Date.now() + RECOVERY_MS;
    for (;;) {
      const listed = await call(s, 'GET', `/v1/projects/${PROJECT}/decisions?pageSize=100`);
      const uids = new Set((listed.body.decisions ?? []).map((d: { review?: { uid?: string } }) => d.review?.uid));
      const missing = outageReviews.filter((uid) => !uids.has(uid));
      if (missing.length === 0) break;
      if (Date.now() > deadline) throw new Error(`decisions never recorded for reviews ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(outageReviews).to.have.length(2);
    expect((await remoteClient!.send('GET', '/upstreamz')).status).to.equal(200);
  });
  it('answers every request by its deadline while the database hangs (frozen, not down)', async () => {
    const s = server!;
    // Connections in the pool, as under load: statements go out on them and are never answered.
    const warm = await Promise.all(Array.from({ length: 8 }, () => call(s, 'GET', `/v1/projects/${PROJECT}/notes`)));
    expect(warm.map((r) => r.status)).to.deep.equal(Array(8).fill(200));
    cluster!.signalAll('SIGSTOP');
    frozen = true;

    // A write on a pooled connection: cut at REQUEST_DEADLINE_MS. Sent as one statement (or its COMMIT) it may
    // yet run when the server thaws, and the answer says so; cut before that, nothing of it is stored.
    const write = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences`, occurrence(3000));
    expect(write.status, JSON.stringify(write.body)).to.equal(503);
    expect(write.body.error).to.include({ code: 503, status: 'UNAVAILABLE' });
    const late = `the database did not answer within ${REQUEST_DEADLINE_MS} ms (REQUEST_DEADLINE_MS)`;
    expect(write.body.error.message).to.be.oneOf([
      `${late}; retry shortly`,
      `${late} while committing this write: it may or may not have been stored; read it back before retrying`,
    ]);
    if (MAY_BE_STORED.test(write.body.error.message)) outcomeUnknown.add(String(occurrence(3000).resourceUri));

    // The rest at once, both transports and both admission adapters, each with an image never verified before
    // (a cached verdict needs no database).
    const fresh = (i: number) => `127.0.0.1:5000/team/app@sha256:${i.toString(16).padStart(64, 'e')}`;
    const reviews = [deploymentReview([fresh(1)]), deploymentReview([fresh(2)])];
    const [batch, created, inProcess, remoteAnswer, ready] = await Promise.all([
      call(s, 'POST', `/v1/projects/${PROJECT}/occurrences:batchCreate`, { occurrences: [occurrence(3001), occurrence(3002)] }),
      grpcCall(client!, 'createOccurrence', {
        parent: `projects/${PROJECT}`,
        occurrence: {
          noteName: NOTE,
          resourceUri: FROZEN_GRPC_URI,
          attestation: { serializedPayload: Buffer.from('hi'), signatures: [{ signature: Buffer.from('sig'), publicKeyId: 'k' }] },
        },
      }),
      inProcessClient!.review(reviews[0]!),
      remoteClient!.review(reviews[1]!),
      call(s, 'GET', '/readyz'),
    ]);
    expect(batch.status, JSON.stringify(batch.body)).to.equal(503);
    expect(batch.body.error.status).to.equal('UNAVAILABLE');
    expect(batch.body.error.message).to.match(/database/);
    if (MAY_BE_STORED.test(batch.body.error.message)) for (const i of [3001, 3002]) outcomeUnknown.add(String(occurrence(i).resourceUri));
    expect(created.code, created.details).to.equal(grpc.status.UNAVAILABLE);
    expect(created.details).to.match(/database/);
    if (MAY_BE_STORED.test(created.details ?? '')) outcomeUnknown.add(FROZEN_GRPC_URI);
    expect(ready.status).to.equal(503);
    // Each adapter denies, saying the database did not answer (or could not be reached), as a decision recorded later.
    for (const [answer, image] of [
      [inProcess, fresh(1)],
      [remoteAnswer, fresh(2)],
    ] as const) {
      expect(answer.allowed, JSON.stringify(answer)).to.equal(false);
      expect(answer.status.message, JSON.stringify(answer)).to.match(
        new RegExp(
          `^image ${image.replace(/[.]/g, '\\.')} could not be verified because attestd could not read its database \\(the database`,
        ),
      );
      expect(answer.auditAnnotations.decision).to.match(/^projects\/fault\/decisions\//);
    }
    frozenReviews.push(...reviews.map((r) => r.request.uid));
  });

  it('recovers when the database thaws, with every acknowledged write kept and the frozen reviews recorded', async () => {
    const s = server!;
    cluster!.signalAll('SIGCONT');
    frozen = false;
    const deadline = Date.now() + RECOVERY_MS;
    for (let i = 4000; ; i++) {
      const reply = await call(s, 'POST', `/v1/projects/${PROJECT}/occurrences`, occurrence(i));
      if (reply.status === 200) {
        acknowledged.add(reply.body.name);
        break;
      }
      expect(reply.status, `only UNAVAILABLE while recovering: ${JSON.stringify(reply.body)}`).to.equal(503);
      if (Date.now() > deadline) throw new Error(`attestd did not recover within ${RECOVERY_MS} ms: ${JSON.stringify(reply.body)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const stored = await listOccurrenceNames(s);
    expect(
      [...acknowledged].filter((name) => !stored.has(name)),
      'acknowledged occurrences missing',
    ).to.deep.equal([]);
    const unacknowledged = [...stored].filter(([name]) => !acknowledged.has(name)).map(([, uri]) => uri);
    expect(
      unacknowledged.filter((uri) => !outcomeUnknown.has(uri)),
      'stored although refused, without saying it may have been stored',
    ).to.deep.equal([]);
    for (;;) {
      const listed = await call(s, 'GET', `/v1/projects/${PROJECT}/decisions?pageSize=100`);
      const uids = new Set((listed.body.decisions ?? []).map((d: { review?: { uid?: string } }) => d.review?.uid));
      const missing = frozenReviews.filter((uid) => !uids.has(uid));
      if (missing.length === 0) break;
      if (Date.now() > deadline) throw new Error(`decisions never recorded for reviews ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(frozenReviews).to.have.length(2);
    expect((await call(s, 'GET', '/readyz')).status).to.equal(200);
  });
});
