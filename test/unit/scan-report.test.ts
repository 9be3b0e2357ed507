import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import { checkReportImage, parseScanReport } from '../../src/domain/vulnerability/parse-scan-report';
import { packageVersion, vulnerabilityDetails } from '../../src/domain/vulnerability/vulnerability-occurrence';
import { FIXTURE_DIGEST, vulnFixture } from '../support/vuln-fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reports are varied by path

const IMAGE = `registry.example.com/attestd/demo@${FIXTURE_DIGEST}`;

/** The occurrences the import writes for a report, in the fixtures' shape. */
function occurrencesFor(report: unknown): Json[] {
  return parseScanReport(report).findings.map((finding) => ({
    resourceUri: `https://${IMAGE}`,
    noteName: `projects/attestd-vulnz/notes/${finding.id}`,
    kind: 'VULNERABILITY',
    vulnerability: vulnerabilityDetails(finding),
  }));
}

function expectInvalid(fn: () => unknown, field: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    const apiError = err as ApiError;
    expect(apiError.code).to.equal('INVALID_ARGUMENT');
    expect(apiError.message).to.match(message);
    expect(apiError.message).to.include(field);
    return;
  }
  expect.fail(`expected INVALID_ARGUMENT about ${field}`);
}

describe('scanner reports', () => {
  for (const scanner of ['trivy', 'grype']) {
    it(`maps the ${scanner} fixture to the occurrences Container Analysis writes`, () => {
      const expected = vulnFixture(`expected-occurrences-from-${scanner}.json`).occurrences;
      expect(occurrencesFor(vulnFixture(`${scanner}-report.json`))).to.deep.equal(expected);
    });
  }

  it('reads the scanner, its version, the scan time and the digests each report names', () => {
    const trivy = parseScanReport(vulnFixture('trivy-report.json'));
    expect(trivy).to.include({ format: 'trivy', scannedAt: '2026-01-01T00:10:00.000Z' });
    expect(trivy.scanner).to.deep.equal({ name: 'trivy', version: '0.0.0-handmade' });
    expect(trivy.imageDigests).to.deep.equal([FIXTURE_DIGEST]);
    const grype = parseScanReport(vulnFixture('grype-report.json'), 'grype');
    expect(grype.scanner).to.deep.equal({ name: 'grype', version: '0.0.0-handmade' });
    expect(grype.scannedAt).to.equal('2026-01-01T00:10:00.000Z');
    expect(grype.imageDigests).to.deep.equal([FIXTURE_DIGEST]);
  });

  it('groups packages per vulnerability and keeps the worst severities and the highest score', () => {
    const report: Json = vulnFixture('trivy-report.json');
    const row = report.Results[0].Vulnerabilities[0];
    report.Results[0].Vulnerabilities.push(
      { ...row, PkgName: 'libssl-dev', Severity: 'CRITICAL', CVSS: { ghsa: { V3Score: 9.9 } }, VendorSeverity: {} },
      { ...row }, // the same package twice is one package issue
    );
    const finding = parseScanReport(report).findings.find((f) => f.id === 'CVE-2099-0001')!;
    expect(finding.packages.map((p) => p.name)).to.deep.equal(['openssl', 'libssl3', 'libssl-dev']);
    expect(finding).to.include({ severity: 'CRITICAL', effectiveSeverity: 'CRITICAL', cvssScore: 9.9 });
  });

  it('reads fixAvailable as "every package has a fix": one unfixed package makes the finding unfixed', () => {
    const report: Json = vulnFixture('grype-report.json');
    const second = report.matches.find((m: Json) => m.artifact.name === 'libssl3');
    second.vulnerability = { ...second.vulnerability, fix: { versions: [], state: 'not-fixed' } };
    const finding = parseScanReport(report).findings.find((f) => f.id === 'CVE-2099-0001')!;
    const details = vulnerabilityDetails(finding) as Json;
    expect(details.fixAvailable).to.equal(false);
    expect(details.packageIssue.map((i: Json) => i.fixedVersion.kind)).to.deep.equal(['NORMAL', 'MAXIMUM']);
  });

  it('takes the first of several fixed versions Trivy lists, and reads language packages by ecosystem', () => {
    const report: Json = vulnFixture('trivy-report.json');
    Object.assign(report.Results[1], { Type: 'pip' });
    Object.assign(report.Results[1].Vulnerabilities[0], { FixedVersion: '4.17.21, 5.0.1', PkgPath: undefined });
    const issue = (vulnerabilityDetails(parseScanReport(report).findings.find((f) => f.id === 'CVE-2099-0004')!) as Json).packageIssue[0];
    expect(issue).to.deep.include({ packageType: 'PYPI', affectedCpeUri: 'cpe:/a:pypi:lodash', fixAvailable: true });
    expect(issue.fixedVersion).to.deep.equal({ name: '4.17.21', kind: 'NORMAL', fullName: '4.17.21' });
    expect(issue).not.to.have.property('fileLocation');
  });

  it('reads a report without vulnerabilities (null, empty or absent lists) as a clean scan', () => {
    const trivy: Json = vulnFixture('trivy-report.json');
    trivy.Results = [{ Target: 'x', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: null }];
    expect(parseScanReport(trivy).findings).to.deep.equal([]);
    delete trivy.Results;
    expect(parseScanReport(trivy, 'trivy').findings).to.deep.equal([]);
    const grype: Json = vulnFixture('grype-report.json');
    grype.matches = [];
    expect(parseScanReport(grype).findings).to.deep.equal([]);
  });

  it('splits distribution versions into epoch, name and revision, and keeps language versions whole', () => {
    expect(packageVersion('1:1.2.13.dfsg-1', true)).to.deep.equal({
      epoch: 1,
      name: '1.2.13.dfsg',
      revision: '1',
      kind: 'NORMAL',
      fullName: '1:1.2.13.dfsg-1',
    });
    expect(packageVersion('1.36.1-r5', true)).to.deep.equal({ name: '1.36.1', revision: 'r5', kind: 'NORMAL', fullName: '1.36.1-r5' });
    expect(packageVersion('2.0', true)).to.deep.equal({ name: '2.0', kind: 'NORMAL', fullName: '2.0' });
    expect(packageVersion('1.0.0-beta.1', false)).to.deep.equal({ name: '1.0.0-beta.1', kind: 'NORMAL', fullName: '1.0.0-beta.1' });
  });

  describe('the image check', () => {
    it('accepts a report naming the image digest and refuses one about another image or none', () => {
      const report = parseScanReport(vulnFixture('trivy-report.json'));
      checkReportImage(report, FIXTURE_DIGEST, IMAGE);
      const other = `sha256:${'a'.repeat(64)}`;
      expectInvalid(() => checkReportImage(report, other, `x@${other}`), 'Metadata.RepoDigests', /is about sha256:93a7/);
      const grype: Json = vulnFixture('grype-report.json');
      delete grype.source.target.manifestDigest;
      grype.source.target.repoDigests = [];
      const none = parseScanReport(grype);
      expectInvalid(() => checkReportImage(none, FIXTURE_DIGEST, IMAGE), 'manifestDigest', /names no image digest/);
    });
  });

  describe('bad reports', () => {
    const cases: { desc: string; vary: (trivy: Json, grype: Json) => [unknown, string?]; field: string; message: RegExp }[] = [
      { desc: 'not an object', vary: () => ['[]'], field: 'report', message: /must be a JSON object/ },
      { desc: 'an unknown format', vary: () => [{ bomFormat: 'CycloneDX' }], field: 'report', message: /neither Trivy JSON/ },
      { desc: 'a format attestd does not read', vary: (t) => [t, 'snyk'], field: 'format', message: /one of trivy, grype/ },
      { desc: 'the wrong format named', vary: (t) => [t, 'grype'], field: 'report.descriptor', message: /must be a JSON object/ },
      {
        desc: 'another Trivy schema version',
        vary: (t) => [{ ...t, SchemaVersion: 1 }],
        field: 'report.SchemaVersion',
        message: /must be 2/,
      },
      {
        desc: 'a vulnerability without an id',
        vary: (t) => {
          delete t.Results[0].Vulnerabilities[2].VulnerabilityID;
          return [t];
        },
        field: 'report.Results[0].Vulnerabilities[2].VulnerabilityID',
        message: /must be a non-empty string, it is missing/,
      },
      {
        desc: 'a Trivy severity outside the enum',
        vary: (t) => {
          t.Results[1].Vulnerabilities[0].Severity = 'SEVERE';
          return [t];
        },
        field: 'report.Results[1].Vulnerabilities[0].Severity',
        message: /must be one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL, got "SEVERE"/,
      },
      {
        desc: 'a Trivy vulnerability without a severity',
        vary: (t) => {
          delete t.Results[0].Vulnerabilities[0].Severity;
          return [t];
        },
        field: 'report.Results[0].Vulnerabilities[0].Severity',
        message: /it is missing/,
      },
      {
        desc: 'a vendor severity out of range',
        vary: (t) => {
          t.Results[0].Vulnerabilities[0].VendorSeverity.nvd = 9;
          return [t];
        },
        field: 'report.Results[0].Vulnerabilities[0].VendorSeverity.nvd',
        message: /from 0 \(unknown\) to 4/,
      },
      {
        desc: 'a Grype severity outside the enum',
        vary: (_t, g) => {
          g.matches[3].vulnerability.severity = 'Catastrophic';
          return [g];
        },
        field: 'report.matches[3].vulnerability.severity',
        message: /must be one of Unknown, Negligible/,
      },
      {
        desc: 'a Grype match without an id',
        vary: (_t, g) => {
          g.matches[0].vulnerability.id = '';
          return [g];
        },
        field: 'report.matches[0].vulnerability.id',
        message: /non-empty string/,
      },
      {
        desc: 'a vulnerability id that cannot name a note',
        vary: (t) => {
          t.Results[0].Vulnerabilities[0].VulnerabilityID = 'CVE/2099:1';
          return [t];
        },
        field: 'report.Results[0].Vulnerabilities[0].VulnerabilityID',
        message: /note id must be/,
      },
      {
        desc: 'a scan time that is not a time',
        vary: (t) => [{ ...t, CreatedAt: 'yesterday' }],
        field: 'report.CreatedAt',
        message: /RFC 3339/,
      },
      {
        desc: 'a Grype report without its timestamp',
        vary: (_t, g) => {
          delete g.descriptor.timestamp;
          return [g];
        },
        field: 'report.descriptor.timestamp',
        message: /it is missing/,
      },
      {
        desc: 'a malformed digest',
        vary: (t) => {
          t.Metadata.RepoDigests = ['registry.example.com/attestd/demo@sha256:abc'];
          return [t];
        },
        field: 'report.Metadata.RepoDigests[0]',
        message: /64 hex digits/,
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.desc}, naming ${c.field}`, () => {
        const [report, format] = c.vary(vulnFixture('trivy-report.json'), vulnFixture('grype-report.json'));
        expectInvalid(() => parseScanReport(report, format), c.field, c.message);
      });
    }
  });
});
