import crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { grpcClient, type ClientMethod } from '../support/grpc-clients';
import type { LooseJson } from '../support/loose-json';
import { testToken } from '../support/test-server';
import { vulnFixture } from '../support/vuln-fixtures';
import { deploymentReview } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd, startRemoteWebhook } from './admission-harness';

const REPO = '127.0.0.1:5000/ns/vexed';
const image = (label: string): string => `${REPO}@sha256:${crypto.createHash('sha256').update(label).digest('hex')}`;

/** The Trivy fixture report, rewritten to name `ref`. */
function trivyReport(ref: string): LooseJson {
  const report: LooseJson = vulnFixture('trivy-report.json');
  report.ArtifactName = ref;
  report.Metadata.RepoDigests = [ref];
  report.CreatedAt = new Date().toISOString();
  return report;
}

/** A Trivy report of `ref` with `n` findings, each HIGH with a fix, on packages pkg0…pkg49. */
function manyFindings(ref: string, n: number): LooseJson {
  const report = trivyReport(ref);
  const row = report.Results[0].Vulnerabilities[0];
  report.Results = [
    {
      ...report.Results[0],
      Vulnerabilities: Array.from({ length: n }, (_, i) => ({
        ...row,
        VulnerabilityID: `CVE-2099-${100000 + i}`,
        PkgName: `pkg${i % 50}`,
        Severity: 'HIGH',
        FixedVersion: '1.0.1',
        Status: 'fixed',
      })),
    },
  ];
  return report;
}

/** An OpenVEX document with one statement about CVE-2099-0001 in `products`. */
const vex = (products: string[], status = 'not_affected'): LooseJson => ({
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/admission',
  author: 'security@example.com',
  timestamp: '2026-01-02T00:00:00Z',
  statements: [
    {
      vulnerability: { name: 'CVE-2099-0001' },
      products: products.map((id) => ({ '@id': id })),
      status,
      ...(status === 'not_affected' ? { justification: 'vulnerable_code_not_in_execute_path' } : {}),
    },
  ],
});

/** google.protobuf.Struct in proto-loader's object form. */
function struct(o: LooseJson): LooseJson {
  const value = (v: unknown): unknown => {
    if (v === null) return { nullValue: 'NULL_VALUE' };
    if (typeof v === 'string') return { stringValue: v };
    if (typeof v === 'number') return { numberValue: v };
    if (typeof v === 'boolean') return { boolValue: v };
    if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
    return { structValue: struct(v as LooseJson) };
  };
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) };
}

describe('admission: VEX statements suppress findings on real AdmissionReviews and at :verifyImages', () => {
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let client: WebhookClient;
  let remote: Awaited<ReturnType<typeof startRemoteWebhook>>;
  let remoteClient: WebhookClient;
  let rest: Rest;
  const app = image('app');
  const sibling = image('sibling');
  const expected = `image ${app} violates policy prod-vex: CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1)`;

  const review = (ref: string, via = client): Promise<LooseJson> => via.review(deploymentReview([ref], 'prod-vex'));
  const verify = async (ref: string): Promise<LooseJson> =>
    (await rest.post('/v1/projects/p1:verifyImages', { cluster: 'c1', namespace: 'prod-vex', images: [ref] })).results[0];

  before(async () => {
    // The verdict cache is on (as in production): a VEX import must move it like any other change.
    server = await startAttestd({ admission: admissionSettings() });
    rest = new Rest(server.baseUrl);
    await scenario(rest);
    client = new WebhookClient(server.admission!);
    remote = await startRemoteWebhook(server.baseUrl);
    remoteClient = new WebhookClient(remote);
    await rest.post('/v1/projects/p1/policies?policyId=prod-vex', {
      cluster: 'c1',
      namespaces: ['prod-vex'],
      enabled: true,
      vulnerabilities: { maximumSeverity: 'MEDIUM' },
    });
    for (const ref of [app, sibling]) await rest.post('/v1/projects/p1/scans', { image: ref, report: trivyReport(ref) });
  });

  after(async () => {
    client?.close();
    remoteClient?.close();
    await remote?.stop();
    await server?.stop();
  });

  it('over the limit: denied; not_affected for the image: admitted, its sibling digest still denied; repository-wide: both admitted; removed: denied again', async () => {
    expect(await review(app)).to.deep.include({ allowed: false, status: { code: 403, message: expected } });
    expect(await verify(app)).to.deep.include({ allowed: false, reason: 'VULNERABLE', message: expected });

    const purl = `pkg:oci/vexed@${encodeURIComponent(app.split('@')[1]!)}?repository_url=${REPO}`;
    const imported = await rest.post('/v1/projects/p1/vex', vex([purl]));
    expect(imported).to.deep.include({ statements: 1, suppressing: 1 });
    expect((await review(app)).allowed).to.equal(true);
    expect((await review(app, remoteClient)).allowed).to.equal(true);
    expect(await verify(app)).to.deep.include({ allowed: true, reason: 'WITHIN_LIMITS' });
    // The answer and the recorded decision say what let the finding through: which statement, over which limit.
    const answer = await rest.post('/v1/projects/p1:verifyImages', { cluster: 'c1', namespace: 'prod-vex', images: [app] });
    const waiver = {
      policy: 'projects/p1/policies/prod-vex',
      vulnerability: 'CVE-2099-0001',
      severity: 'HIGH',
      limit: 'maximumSeverity MEDIUM',
      waivedBy: 'VEX',
      waiver: imported.notes[0],
      vexState: 'NOT_AFFECTED',
    };
    expect(answer.results[0].waivers).to.have.length(1);
    expect(answer.results[0].waivers[0]).to.deep.include(waiver);
    // Decisions are written about once a second: wait for this one (the reviews before it are written by then).
    const allowedHere = `/v1/projects/p1/decisions?filter=${encodeURIComponent('allowed=true AND namespace="prod-vex"')}&pageSize=1000`;
    let decisions: LooseJson[] = [];
    for (let i = 0; i < 100 && !decisions.some((d) => d.name === answer.decision); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      decisions = (await rest.call('GET', allowedHere)).decisions ?? [];
    }
    const recorded = decisions.find((d) => d.name === answer.decision);
    expect(recorded?.results[0].waivers[0], JSON.stringify(decisions)).to.deep.include(waiver);
    // The reviews admitted through the webhook and the adapter were recorded with it too.
    const reviews = decisions.filter((d) => d.source === 'admission');
    expect(reviews).to.have.length(2);
    for (const d of reviews) expect(d.results[0].waivers[0]).to.deep.include(waiver);
    expect((await review(sibling)).status.message).to.equal(
      `image ${sibling} violates policy prod-vex: CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1)`,
    );
    expect((await verify(sibling)).allowed).to.equal(false);

    const repoWide = await rest.post('/v1/projects/p1/vex', vex([REPO]));
    expect((await review(sibling)).allowed).to.equal(true);
    expect((await verify(sibling)).allowed).to.equal(true);

    const listed = await rest.call('GET', '/v1/projects/p1/notes?filter=kind%3DVULNERABILITY_ASSESSMENT');
    expect(listed.notes.map((n: LooseJson) => n.name)).to.have.members([...imported.notes, ...repoWide.notes]);
    await rest.call('DELETE', `/v1/${repoWide.notes[0]}`);
    expect((await review(sibling)).allowed).to.equal(false);
    // An affected statement about the image replaces its not_affected one: denied again, at once.
    await rest.post('/v1/projects/p1/vex', vex([app], 'affected'));
    expect((await review(app)).status.message).to.equal(expected);
  });

  it('an image with 2,000 findings is decided (by its findings, within the adapter deadline): every one listed, VEX applied', async () => {
    const big = image('two-thousand');
    const imported = await rest.post('/v1/projects/p1/scans', { image: big, report: manyFindings(big, 2000) });
    expect(imported).to.include({ vulnerabilities: 2000 });
    const denied = await review(big);
    expect(denied.allowed).to.equal(false);
    expect(denied.status.message).to.equal(
      `image ${big} violates policy prod-vex: CVE-2099-100000 (HIGH, fixed in 1.0.1), CVE-2099-100001 (HIGH, fixed in 1.0.1) and 1998 more`,
    );
    const verified = await verify(big);
    expect(verified).to.deep.include({ allowed: false, reason: 'VULNERABLE' });
    expect(verified.vulnerabilities[0].violations).to.have.length(2000);
    await rest.post('/v1/projects/p1/vex', {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [{ vulnerability: { name: 'CVE-2099-100000' }, products: [{ '@id': REPO }], status: 'fixed' }],
    });
    expect((await review(big, remoteClient)).status.message).to.equal(
      `image ${big} violates policy prod-vex: CVE-2099-100001 (HIGH, fixed in 1.0.1), CVE-2099-100002 (HIGH, fixed in 1.0.1) and 1997 more`,
    );
  });

  it('bad documents answer INVALID_ARGUMENT naming the field over REST and gRPC, and write nothing', async () => {
    const before = await rest.call('GET', '/v1/projects/p1/notes?filter=kind%3DVULNERABILITY_ASSESSMENT&pageSize=1000');
    const post = async (body: string): Promise<{ status: number; json: LooseJson }> => {
      const res = await fetch(`${server.baseUrl}/v1/projects/p1/vex`, {
        method: 'POST',
        headers: { authorization: `Bearer ${testToken()}`, 'content-type': 'application/json' },
        body,
      });
      return { status: res.status, json: await res.json() };
    };
    const notJson = await post('{"@context": ');
    expect(notJson.status).to.equal(400);
    expect(notJson.json.error).to.include({ status: 'INVALID_ARGUMENT' });
    expect(notJson.json.error.message).to.match(/^the request body is not valid JSON/);

    const unknownStatus = vex([app]);
    unknownStatus.statements[0].status = 'wontfix';
    const restBad = await post(JSON.stringify(unknownStatus));
    expect(restBad.status).to.equal(400);
    expect(restBad.json.error.message).to.match(
      /^document\.statements\[0\]\.status must be one of not_affected, fixed, affected, under_investigation/,
    );

    const notAnImage = vex(['pkg:npm/lodash@4.17.20']);
    const grpcClientVex = grpcClient(`127.0.0.1:${server.grpcPort}`, 'attestd.v1.Vex') as unknown as Record<string, ClientMethod> &
      grpc.Client;
    try {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${testToken()}`);
      const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
        grpcClientVex.ImportVex!.call(
          grpcClientVex,
          { parent: 'projects/p1', document: struct(notAnImage) },
          md,
          (e: grpc.ServiceError | null) => (e ? resolve(e) : reject(new Error('the import succeeded'))),
        ),
      );
      expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(err.details).to.contain('document.statements[0].products[0].@id is a pkg:npm package, not an image');
      expect((await post(JSON.stringify(notAnImage))).json.error.message).to.equal(err.details);
    } finally {
      grpcClientVex.close();
    }
    const after = await rest.call('GET', '/v1/projects/p1/notes?filter=kind%3DVULNERABILITY_ASSESSMENT&pageSize=1000');
    expect(after.notes?.length ?? 0).to.equal(before.notes?.length ?? 0);
  });
});
