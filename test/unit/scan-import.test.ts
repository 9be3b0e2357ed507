import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import { listQuery } from '../../src/domain/list-query';
import type { Occurrence } from '../../src/domain/message-types';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { FIXTURE_DIGEST, vulnFixture } from '../support/vuln-fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reports are varied by path

const IMAGE = `registry.example.com/attestd/demo@${FIXTURE_DIGEST}`;
const URI = `https://${IMAGE}`;

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof ApiError ? err.code : `THROWN ${(err as Error).message}`;
  }
}

async function occurrences(s: MemoryServices, kind?: string): Promise<Occurrence[]> {
  const all = (await s.occurrences.list(s.admin, 'projects/p', listQuery({ pageSize: 1000 }))).items;
  return kind === undefined ? all : all.filter((o) => o.kind === kind);
}

/** A Trivy report of the fixture image with `n` distinct vulnerabilities on one package each. */
function bigTrivyReport(n: number): Json {
  const report: Json = vulnFixture('trivy-report.json');
  const row = report.Results[0].Vulnerabilities[0];
  report.Results = [
    { ...report.Results[0], Vulnerabilities: Array.from({ length: n }, (_, i) => ({ ...row, VulnerabilityID: `CVE-2099-${100000 + i}` })) },
  ];
  return report;
}

describe('scan import', () => {
  let s: MemoryServices;
  beforeEach(async () => {
    s = memoryServices();
    await s.projects.create(s.admin, 'projects/p');
  });

  it('writes one VULNERABILITY occurrence per vulnerability on reused notes, and a DISCOVERY occurrence of the scan', async () => {
    const attestor = s.caller({ p: ['attestor'] });
    const result = await s.scans.import(attestor, 'projects/p', IMAGE, vulnFixture('trivy-report.json'), '');
    expect(result).to.include({ vulnerabilities: 6, replaced: 0 });
    expect(result.discovery).to.match(/^projects\/p\/occurrences\//);
    const expected = (vulnFixture('expected-occurrences-from-trivy.json').occurrences as Json[]).map((o) => ({
      ...o,
      noteName: o.noteName.replace('attestd-vulnz', 'p'),
      vulnerability: { ...o.vulnerability, extraDetails: 'found by trivy 0.0.0-handmade' },
    }));
    const vulns = (await occurrences(s, 'VULNERABILITY')).map(({ resourceUri, noteName, kind, vulnerability }) => ({
      resourceUri,
      noteName,
      kind,
      vulnerability,
    }));
    expect(vulns).to.have.deep.members(expected);
    const discovery = await s.occurrences.get(s.admin, result.discovery);
    expect(discovery).to.deep.include({ kind: 'DISCOVERY', resourceUri: URI, noteName: 'projects/p/notes/scanner-trivy' });
    expect(discovery.discovery).to.deep.equal({
      continuousAnalysis: 'INACTIVE',
      analysisStatus: 'FINISHED_SUCCESS',
      analysisCompleted: { analysisType: ['trivy 0.0.0-handmade'] },
      lastScanTime: '2026-01-01T00:10:00.000Z',
    });
    const note = await s.notes.get(s.admin, 'projects/p/notes/CVE-2099-0001');
    expect(note).to.deep.include({ kind: 'VULNERABILITY', shortDescription: 'CVE-2099-0001' });
    expect(note.vulnerability).to.deep.include({ severity: 'CRITICAL', cvssScore: 9.8 });
  });

  it("replaces the same scanner's previous findings for the image, keeps other scanners', and audits the removal", async () => {
    await s.scans.import(s.admin, 'projects/p', IMAGE, vulnFixture('trivy-report.json'), 'trivy');
    await s.scans.import(s.admin, 'projects/p', IMAGE, vulnFixture('grype-report.json'), '');
    const before = await occurrences(s);
    expect(before).to.have.length(14);
    const newer: Json = vulnFixture('trivy-report.json');
    newer.CreatedAt = '2026-01-02T00:00:00Z';
    newer.Results = newer.Results.slice(0, 1);
    const result = await s.scans.import(s.admin, 'projects/p', IMAGE, newer, '');
    expect(result).to.include({ vulnerabilities: 5, replaced: 6 });
    const after = await occurrences(s);
    expect(after).to.have.length(13);
    const trivyIds = after
      .filter((o) => o.kind === 'VULNERABILITY' && String((o.vulnerability as Json).extraDetails).startsWith('found by trivy'))
      .map((o) => String(o.noteName).split('/').pop());
    expect(trivyIds.sort()).to.deep.equal(['CVE-2099-0001', 'CVE-2099-0002', 'CVE-2099-0003', 'CVE-2099-0005', 'CVE-2099-0006']);
    const discoveries = after.filter((o) => o.kind === 'DISCOVERY');
    expect(discoveries.map((o) => (o.discovery as Json).lastScanTime).sort()).to.deep.equal([
      '2026-01-01T00:10:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ]);
    // The note of the vanished finding stays (other images may have it); no note was created twice.
    expect(await outcome(s.notes.get(s.admin, 'projects/p/notes/CVE-2099-0004'))).to.equal('OK');
    await s.sequencer.flush('p');
    const removed = (await s.audit.list(s.admin, 'projects/p', listQuery({ pageSize: 1000, filter: 'method="ImportScan.Replace"' }))).items;
    expect(removed).to.have.length(7);
    const gone = new Set(before.map((o) => String(o.name)));
    for (const o of after) gone.delete(String(o.name));
    expect(removed.map((e) => e.resource).sort()).to.deep.equal([...gone].sort());
  });

  it('keeps notes in the configured vulnerability notes project, which must exist', async () => {
    const shared = memoryServices({ vulnerabilityNotesProject: 'vulnz' });
    await shared.projects.create(shared.admin, 'projects/p');
    expect(await outcome(shared.scans.import(shared.admin, 'projects/p', IMAGE, vulnFixture('grype-report.json'), ''))).to.equal(
      'FAILED_PRECONDITION',
    );
    await shared.projects.create(shared.admin, 'projects/vulnz');
    await shared.scans.import(shared.admin, 'projects/p', IMAGE, vulnFixture('grype-report.json'), '');
    const occ = (await shared.occurrences.list(shared.admin, 'projects/p', listQuery({ pageSize: 100 }))).items;
    expect(occ.map((o) => String(o.noteName).split('/notes/')[0]).every((p) => p === 'projects/vulnz')).to.equal(true);
    expect((await shared.notes.list(shared.admin, 'projects/vulnz', listQuery({ pageSize: 100 }))).items).to.have.length(7);
  });

  it('imports a large report whole', async () => {
    const result = await s.scans.import(s.admin, 'projects/p', IMAGE, bigTrivyReport(3000), '');
    expect(result.vulnerabilities).to.equal(3000);
    const page = await s.occurrences.list(s.admin, 'projects/p', listQuery({ pageSize: 1000, filter: 'kind="VULNERABILITY"' }));
    expect(page.items).to.have.length(1000);
    expect(page.nextPageToken).to.not.equal('');
  });

  describe('refusals write nothing', () => {
    const cases: { desc: string; run: (s: MemoryServices) => Promise<unknown>; want: string }[] = [
      {
        desc: 'a viewer',
        run: (x) => x.scans.import(x.caller({ p: ['viewer'] }), 'projects/p', IMAGE, vulnFixture('trivy-report.json'), ''),
        want: 'PERMISSION_DENIED',
      },
      {
        desc: 'no image',
        run: (x) => x.scans.import(x.admin, 'projects/p', '', vulnFixture('trivy-report.json'), ''),
        want: 'INVALID_ARGUMENT',
      },
      {
        desc: 'an image by tag',
        run: (x) => x.scans.import(x.admin, 'projects/p', 'registry.example.com/attestd/demo:1.0.0', vulnFixture('trivy-report.json'), ''),
        want: 'INVALID_ARGUMENT',
      },
      {
        desc: 'a report about another image',
        run: (x) =>
          x.scans.import(
            x.admin,
            'projects/p',
            `registry.example.com/attestd/demo@sha256:${'b'.repeat(64)}`,
            vulnFixture('grype-report.json'),
            '',
          ),
        want: 'INVALID_ARGUMENT',
      },
      { desc: 'no report', run: (x) => x.scans.import(x.admin, 'projects/p', IMAGE, undefined, ''), want: 'INVALID_ARGUMENT' },
      {
        desc: 'a report with one bad row among many',
        run: (x) => {
          const report = bigTrivyReport(3000);
          report.Results[0].Vulnerabilities[2999].Severity = 'HUGE';
          return x.scans.import(x.admin, 'projects/p', IMAGE, report, '');
        },
        want: 'INVALID_ARGUMENT',
      },
      {
        desc: 'a vulnerability whose note exists with another kind',
        run: async (x) => {
          await x.notes.create(x.admin, 'projects/p', 'CVE-2099-0006', { attestation: { hint: { humanReadableName: 'x' } } });
          return x.scans.import(x.admin, 'projects/p', IMAGE, vulnFixture('trivy-report.json'), '');
        },
        want: 'FAILED_PRECONDITION',
      },
      {
        desc: 'a project that does not exist',
        run: (x) => x.scans.import(x.admin, 'projects/nope', IMAGE, vulnFixture('trivy-report.json'), ''),
        want: 'NOT_FOUND',
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.desc} with ${c.want}`, async () => {
        const notesBefore = (await s.notes.list(s.admin, 'projects/p', listQuery({ pageSize: 100 }))).items.length;
        expect(await outcome(c.run(s))).to.equal(c.want);
        expect(await occurrences(s)).to.deep.equal([]);
        const notesAfter = (await s.notes.list(s.admin, 'projects/p', listQuery({ pageSize: 100 }))).items;
        expect(notesAfter.filter((n) => n.kind !== 'ATTESTATION')).to.deep.equal([]);
        expect(notesAfter.length).to.be.at.most(notesBefore + 1);
      });
    }
  });
});
