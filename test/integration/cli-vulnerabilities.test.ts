import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runAttestd as attestd } from '../support/run-attestd';
import { startTestServer, type TestServer } from '../support/test-server';
import { FIXTURE_DIGEST, vulnFixture } from '../support/vuln-fixtures';

const IMAGE = `registry.example.com/attestd/demo@${FIXTURE_DIGEST}`;

describe('CLI: attestd scan import and policies with vulnerability limits against a live server', function () {
  this.timeout(120000);
  let server: TestServer;
  let env: Record<string, string>;
  let dir: string;
  const run = (args: readonly string[]) => attestd(args, env);

  before(async () => {
    server = await startTestServer();
    env = { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken, ATTESTD_PROJECT: 'demo' };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-cli-vuln-'));
    expect((await run(['projects', 'create', 'demo'])).code).to.equal(0);
    expect((await run(['clusters', 'create', 'c1'])).code).to.equal(0);
  });
  after(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports Trivy and Grype reports, replaces a scan, and refuses reports that are not JSON, invalid, or of another image', async () => {
    const trivy = path.join(dir, 'trivy.json');
    // Scanned just now, so that the policy below judges the findings rather than the scan's age.
    fs.writeFileSync(trivy, JSON.stringify({ ...vulnFixture('trivy-report.json'), CreatedAt: new Date().toISOString() }));
    const first = await run(['scan', 'import', IMAGE, trivy, '--output', 'text']);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(
      new RegExp(`^imported 6 vulnerabilities for ${IMAGE} \\(replaced 0\\): projects/demo/occurrences/[0-9a-f-]+\\n$`),
    );
    const again = await run(['scan', 'import', IMAGE, trivy]);
    expect(JSON.parse(again.stdout)).to.include({ vulnerabilities: 6, replaced: 6 });
    const grype = path.join(dir, 'grype.json');
    const grypeReport = vulnFixture('grype-report.json') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- varied by path
    grypeReport.descriptor.timestamp = new Date().toISOString();
    fs.writeFileSync(grype, JSON.stringify(grypeReport));
    const g = await run(['scan', 'import', IMAGE, grype, '--format', 'grype']);
    expect(g.code, g.stderr).to.equal(0);
    expect(JSON.parse(g.stdout)).to.include({ replaced: 0 });

    const notJson = path.join(dir, 'broken.json');
    fs.writeFileSync(notJson, '{"SchemaVersion": 2,');
    const broken = await run(['scan', 'import', IMAGE, notJson]);
    expect(broken.code).to.not.equal(0);
    expect(broken.stderr).to.match(/broken\.json is not JSON .*give the scanner's JSON output/);
    const bad = vulnFixture('trivy-report.json') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- varied by path
    bad.Results[0].Vulnerabilities[1].Severity = 'SEVERE';
    fs.writeFileSync(notJson, JSON.stringify(bad));
    const refused = await run(['scan', 'import', IMAGE, notJson]);
    expect(refused.stderr).to.match(
      /^attestd: INVALID_ARGUMENT: report\.Results\[0\]\.Vulnerabilities\[1\]\.Severity must be one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL, got "SEVERE"/,
    );
    const other = await run(['scan', 'import', `registry.example.com/attestd/demo@sha256:${'c'.repeat(64)}`, trivy]);
    expect(other.stderr).to.match(/^attestd: INVALID_ARGUMENT: /);
  });

  it('creates a policy with vulnerability limits alone and verifies an image against it', async () => {
    const created = await run([
      'policies',
      'create',
      'prod-vulns',
      '--cluster',
      'c1',
      '--namespace',
      'prod',
      '--enable',
      '--max-severity',
      'MEDIUM',
      '--max-fix-unavailable-severity',
      'HIGH',
      '--allow-cve',
      'CVE-2099-0004',
      '--max-scan-age',
      '168h',
    ]);
    expect(created.code, created.stderr).to.equal(0);
    expect(JSON.parse(created.stdout).vulnerabilities).to.deep.equal({
      maximumSeverity: 'MEDIUM',
      maximumFixUnavailableSeverity: 'HIGH',
      allowlistCVEs: ['CVE-2099-0004'],
      requireScan: false,
      maximumScanAge: '168h',
    });
    const denied = await run(['verify', IMAGE, '--namespace', 'prod', '--cluster', 'c1', '--output', 'text']);
    expect(denied.code).to.equal(1);
    // Two scanners' findings of the image (Trivy's and Grype's): each vulnerability is named once.
    expect(denied.stdout).to.equal(
      `DENIED ${IMAGE}: VULNERABLE: image ${IMAGE} violates policy prod-vulns: CVE-2099-0002 (CRITICAL, no fix available), CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1)\n`,
    );
    const none = await run(['policies', 'create', 'empty', '--cluster', 'c1', '--namespace', 'prod']);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.contain('--witness or a vulnerability limit (--max-severity, --require-scan, …) is required');
  });
});
