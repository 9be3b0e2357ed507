import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runAttestd as attestd } from '../support/run-attestd';
import { startTestServer, type TestServer } from '../support/test-server';
import { FIXTURE_DIGEST, vulnFixture } from '../support/vuln-fixtures';

const IMAGE = `registry.example.com/attestd/demo@${FIXTURE_DIGEST}`;

/** The README's VEX document: CVE-2099-0001 does not affect the fixture image. */
const DEMO_VEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/demo-2026-001',
  author: 'Security Team <security@example.com>',
  timestamp: '2026-01-02T00:00:00Z',
  statements: [
    {
      vulnerability: { name: 'CVE-2099-0001' },
      products: [{ '@id': `pkg:oci/demo@${encodeURIComponent(FIXTURE_DIGEST)}?repository_url=registry.example.com/attestd/demo` }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      impact_statement: 'the demo never calls OpenSSL',
    },
  ],
};

describe('CLI: attestd vex import, list and delete against a live server (the README walkthrough)', function () {
  this.timeout(120000);
  let server: TestServer;
  let env: Record<string, string>;
  let dir: string;
  const run = (args: readonly string[]) => attestd(args, env);

  before(async () => {
    server = await startTestServer();
    env = { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken, ATTESTD_PROJECT: 'demo' };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-cli-vex-'));
    expect((await run(['projects', 'create', 'demo'])).code).to.equal(0);
    expect((await run(['clusters', 'create', 'c1'])).code).to.equal(0);
  });
  after(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('denied with the CVE list, admitted after vex import, listed, denied again after vex delete; a bad document names the field', async () => {
    const trivy = path.join(dir, 'trivy.json');
    fs.writeFileSync(trivy, JSON.stringify(vulnFixture('trivy-report.json')));
    expect((await run(['scan', 'import', IMAGE, trivy])).code).to.equal(0);
    const policy = await run([
      'policies',
      'create',
      'prod-vulns',
      '--cluster',
      'c1',
      '--namespace',
      'vulns',
      '--max-severity',
      'MEDIUM',
      '--enable',
    ]);
    expect(policy.code, policy.stderr).to.equal(0);
    const verify = () => run(['verify', IMAGE, '--namespace', 'vulns', '--cluster', 'c1', '--output', 'text']);
    const denied = `DENIED ${IMAGE}: VULNERABLE: image ${IMAGE} violates policy prod-vulns: CVE-2099-0001 (HIGH, fixed in 3.0.13-1~deb12u1)\n`;
    expect((await verify()).stdout).to.equal(denied);

    const file = path.join(dir, 'demo.vex.json');
    fs.writeFileSync(file, JSON.stringify(DEMO_VEX, null, 2));
    const imported = await run(['vex', 'import', file, '--output', 'text']);
    expect(imported.code, imported.stderr).to.equal(0);
    expect(imported.stdout).to.equal(
      'imported 1 VEX statement; 1 suppresses findings\nprojects/demo/notes/vex-a1bb53e9b7d13d54a8f9448b6e21fe4a8225031b\n',
    );
    const admitted = await verify();
    expect(admitted.code, admitted.stdout).to.equal(0);
    // What let it through stays visible: the finding, the limit it exceeds and the VEX statement that waived it.
    expect(admitted.stdout).to.equal(
      `ALLOWED ${IMAGE}: WITHIN_LIMITS: ${IMAGE} is within the vulnerability limits of policy projects/demo/policies/prod-vulns\n` +
        '  waived CVE-2099-0001 (HIGH, over maximumSeverity MEDIUM) by VEX statement ' +
        'projects/demo/notes/vex-a1bb53e9b7d13d54a8f9448b6e21fe4a8225031b (NOT_AFFECTED)\n',
    );
    // The README's walkthrough shows these very lines.
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    for (const line of admitted.stdout.trimEnd().split('\n')) expect(readme).to.contain(`# ${line}\n`);
    expect((await run(['vex', 'list', '--output', 'text'])).stdout).to.equal(
      `vex-a1bb53e9b7d13d54a8f9448b6e21fe4a8225031b  CVE-2099-0001  not_affected (vulnerable_code_not_in_execute_path)  ${IMAGE}\n`,
    );
    const deleted = await run(['vex', 'delete', 'vex-a1bb53e9b7d13d54a8f9448b6e21fe4a8225031b', '--output', 'text']);
    expect(deleted.stdout).to.equal('deleted projects/demo/notes/vex-a1bb53e9b7d13d54a8f9448b6e21fe4a8225031b\n');
    expect((await verify()).stdout).to.equal(denied);

    fs.writeFileSync(file, '{"@context": ');
    const notJson = await run(['vex', 'import', file]);
    expect(notJson.code).to.not.equal(0);
    expect(notJson.stderr).to.match(/demo\.vex\.json is not JSON .*give an OpenVEX document/);
    fs.writeFileSync(file, JSON.stringify({ ...DEMO_VEX, statements: [{ ...DEMO_VEX.statements[0], status: 'wontfix' }] }));
    const refused = await run(['vex', 'import', file]);
    expect(refused.stderr).to.match(
      /^attestd: INVALID_ARGUMENT: document\.statements\[0\]\.status must be one of not_affected, fixed, affected, under_investigation, got "wontfix"/,
    );
    expect((await run(['vex', 'list', '--output', 'text'])).stdout).to.equal('');
  });
});
