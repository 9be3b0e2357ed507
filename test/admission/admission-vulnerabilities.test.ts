import crypto from 'node:crypto';
import { expect } from 'chai';
import type { LooseJson } from '../support/loose-json';
import { COMBINATION_FINDINGS, combinations } from '../support/vulnerability-cases';
import { vulnFixture } from '../support/vuln-fixtures';
import { deploymentReview } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd, startRemoteWebhook } from './admission-harness';

const REPO = '127.0.0.1:5000/ns/app';
const image = (label: string): string => `${REPO}@sha256:${crypto.createHash('sha256').update(label).digest('hex')}`;

/** The Trivy fixture report, rewritten to name `ref` and to have been written at `createdAt`. */
function trivyReport(ref: string, createdAt = new Date().toISOString(), keep: (id: string) => boolean = () => true): LooseJson {
  const report: LooseJson = vulnFixture('trivy-report.json');
  report.ArtifactName = ref;
  report.Metadata.RepoDigests = [ref];
  report.CreatedAt = createdAt;
  for (const r of report.Results) r.Vulnerabilities = (r.Vulnerabilities ?? []).filter((v: LooseJson) => keep(v.VulnerabilityID));
  return report;
}

describe('admission: policy vulnerabilities blocks on real AdmissionReviews', () => {
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let client: WebhookClient;
  let remote: Awaited<ReturnType<typeof startRemoteWebhook>>;
  let remoteClient: WebhookClient;
  let rest: Rest;
  const combo = image('combinations');

  const policy = (id: string, body: Record<string, unknown>): Promise<LooseJson> =>
    rest.post(`/v1/projects/p1/policies?policyId=${id}`, { cluster: 'c1', namespaces: [id], enabled: true, ...body });
  const scan = (ref: string, report = trivyReport(ref)): Promise<LooseJson> => rest.post('/v1/projects/p1/scans', { image: ref, report });
  const review = (ref: string, namespace: string, via = client): Promise<LooseJson> => via.review(deploymentReview([ref], namespace));

  before(async () => {
    server = await startAttestd({ admission: admissionSettings() });
    rest = new Rest(server.baseUrl);
    await scenario(rest);
    client = new WebhookClient(server.admission!);
    remote = await startRemoteWebhook(server.baseUrl);
    remoteClient = new WebhookClient(remote);
    for (const [id, details] of Object.entries(COMBINATION_FINDINGS)) {
      await rest.post(`/v1/projects/p1/notes?noteId=${id}`, { vulnerability: { severity: details.severity ?? 'SEVERITY_UNSPECIFIED' } });
      await rest.post('/v1/projects/p1/occurrences', {
        resourceUri: `https://${combo}`,
        noteName: `projects/p1/notes/${id}`,
        vulnerability: details,
      });
    }
  });

  after(async () => {
    client?.close();
    remoteClient?.close();
    await remote?.stop();
    await server?.stop();
  });

  describe('every severity, fix and allowlist combination', () => {
    combinations('p1').forEach((c, i) => {
      it(`${c.name}: ${c.violations.length ? 'denied' : 'admitted'}`, async () => {
        await policy(`combo-${i}`, { vulnerabilities: c.block });
        const r = await review(combo, `combo-${i}`);
        expect(r.allowed, JSON.stringify(r)).to.equal(c.violations.length === 0);
        if (c.violations.length === 0) return;
        const more = c.violations.length > 2 ? ` and ${c.violations.length - 2} more` : '';
        expect(r.status.message).to.match(
          new RegExp(`^image ${combo.replace(/[.]/g, '\\.')} violates policy combo-${i}: ${c.violations[0]} \\(`),
        );
        if (c.violations.length > 1) expect(r.status.message).to.contain(`, ${c.violations[1]} (`);
        expect(r.status.message.endsWith(`)${more}`)).to.equal(true);
      });
    });
  });

  it('imports a scan, denies with the exact sentence, records the full list; a newer scan admits; the adapter alone says the same', async () => {
    const app = image('app');
    await policy('prod-vulns', { vulnerabilities: { maximumSeverity: 'LOW', maximumFixUnavailableSeverity: 'HIGH' } });
    await scan(app);
    const expected = `image ${app} violates policy prod-vulns: CVE-2099-0002 (CRITICAL, no fix available), CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1) and 1 more`;
    const denied = await review(app, 'prod-vulns');
    expect(denied).to.deep.include({ allowed: false, status: { code: 403, message: expected } });
    expect((await review(app, 'prod-vulns', remoteClient)).status.message).to.equal(expected);
    const verified = await rest.post('/v1/projects/p1:verifyImages', { cluster: 'c1', namespace: 'prod-vulns', images: [app] });
    expect(verified.results[0]).to.deep.include({ allowed: false, reason: 'VULNERABLE', message: expected });
    expect(verified.results[0].vulnerabilities[0].violations.map((v: LooseJson) => `${v.vulnerability} ${v.limit}`)).to.deep.equal([
      'CVE-2099-0002 maximumFixUnavailableSeverity HIGH',
      'CVE-2099-0001 maximumSeverity LOW',
      'CVE-2099-0004 maximumSeverity LOW',
    ]);
    const recorded = await waitForDecision(rest, denied.auditAnnotations.decision);
    expect(recorded.results[0].vulnerabilities[0]).to.deep.include({
      policy: 'projects/p1/policies/prod-vulns',
      reason: 'VULNERABLE',
      message: expected,
    });
    expect(recorded.results[0].vulnerabilities[0].violations).to.have.length(3);
    // The rebuilt image's scan no longer has them: the cached verdict gives way at once.
    await scan(
      app,
      trivyReport(app, undefined, (id) => !['CVE-2099-0001', 'CVE-2099-0002', 'CVE-2099-0004'].includes(id)),
    );
    expect((await review(app, 'prod-vulns')).allowed).to.equal(true);
  });

  it('no scan where one is required, and a scan too old, in the status message', async () => {
    const unscanned = image('unscanned');
    await policy('needs-scan', { vulnerabilities: { requireScan: true, maximumScanAge: '168h' } });
    expect((await review(unscanned, 'needs-scan')).status.message).to.equal(
      `image ${unscanned} has no vulnerability scan (policy needs-scan requires one)`,
    );
    const stale = image('stale');
    await scan(stale, trivyReport(stale, new Date(Date.now() - 200 * 3_600_000).toISOString()));
    expect((await review(stale, 'needs-scan')).status.message).to.match(
      new RegExp(
        `^image ${stale.replace(/[.]/g, '\\.')} was last scanned 20[01]h ago \\(.*Z\\); policy needs-scan accepts scans at most 168h old$`,
      ),
    );
  });

  it('attested by its witness but over the limit: denied, both facts in the decision; unattested too: both sentences', async () => {
    const attested = image('attested');
    await rest.post('/v1/projects/p1/witnesses/w1:attest', { image: attested });
    await scan(attested);
    await policy('attested-vulns', { witnesses: ['projects/p1/witnesses/w1'], vulnerabilities: { maximumSeverity: 'MEDIUM' } });
    const denied = await review(attested, 'attested-vulns');
    expect(denied.status.message).to.equal(
      `image ${attested} violates policy attested-vulns: CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1)`,
    );
    const recorded = await waitForDecision(rest, denied.auditAnnotations.decision);
    expect(recorded.results[0]).to.deep.include({ reason: 'VULNERABLE', witnesses: ['projects/p1/witnesses/w1'] });
    expect(recorded.results[0].occurrences).to.have.length(1);
    expect(recorded.results[0].vulnerabilities[0].violations[0].vulnerability).to.equal('CVE-2099-0001');
    const unattested = image('unattested');
    await scan(unattested);
    expect((await review(unattested, 'attested-vulns')).status.message).to.equal(
      `image ${unattested} is not attested; image ${unattested} violates policy attested-vulns: CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1)`,
    );
  });
});

/** The recorded decision (decisions are written about once a second). */
async function waitForDecision(rest: Rest, name: string): Promise<LooseJson> {
  for (let i = 0; i < 100; i++) {
    const page = await rest.call('GET', `/v1/projects/p1/decisions?pageSize=1000`);
    const found = (page.decisions ?? []).find((d: LooseJson) => d.name === name);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`decision ${name} was not recorded`);
}
