import { expect } from 'chai';
import { listQuery } from '../../src/domain/list-query';
import type { JsonObject } from '../../src/domain/message-types';
import type { ImageResult } from '../../src/verification/verdict';
import { memoryServices, type MemoryServices } from '../support/memory-services';
import { apiError } from '../support/outcome';
import { FIXTURE_DIGEST, vulnFixture } from '../support/vuln-fixtures';

const REPO = 'registry.example.com/attestd/demo';
const IMAGE = `${REPO}@${FIXTURE_DIGEST}`;
const OTHER = `${REPO}@sha256:${'ab'.repeat(32)}`;
const PURL = `pkg:oci/demo@${encodeURIComponent(FIXTURE_DIGEST)}?repository_url=${REPO}&tag=1.0.0`;

/** An OpenVEX v0.2.0 document with these statements. */
const vex = (...statements: JsonObject[]): JsonObject => ({
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/demo-1',
  author: 'Security Team <security@example.com>',
  role: 'Document Creator',
  timestamp: '2026-01-02T00:00:00Z',
  version: 1,
  statements,
});

/** A statement about `vulnerability` in `products` (their `@id`s). */
const statement = (vulnerability: string, products: string[], status: string, extra: JsonObject = {}): JsonObject => ({
  vulnerability: { name: vulnerability },
  products: products.map((id) => ({ '@id': id })),
  status,
  ...(status === 'not_affected' ? { justification: 'vulnerable_code_not_in_execute_path' } : {}),
  ...extra,
});

async function vexNotes(s: MemoryServices): Promise<JsonObject[]> {
  return (await s.notes.list(s.admin, 'projects/p', listQuery({ pageSize: 1000, filter: 'kind = VULNERABILITY_ASSESSMENT' }))).items;
}

async function verify(s: MemoryServices, image: string, namespace = 'prod'): Promise<ImageResult> {
  const input = { cluster: 'c1', namespace, images: [image], breakglass: false, source: 'verifyImages' as const };
  return (await s.verification.verify(s.admin, 'projects/p', input)).results[0]!;
}

const violated = (r: ImageResult): string[] => (r.vulnerabilities ?? []).flatMap((v) => v.violations.map((x) => x.vulnerability));

describe('VEX import (OpenVEX as VULNERABILITY_ASSESSMENT notes) and its effect at :verifyImages', () => {
  let s: MemoryServices;
  beforeEach(async () => {
    s = memoryServices();
    await s.projects.create(s.admin, 'projects/p');
    await s.clusters.create(s.admin, 'projects/p', 'c1', {});
    const other = vulnFixture('trivy-report.json') as JsonObject & { Metadata: JsonObject };
    other.Metadata.RepoDigests = [OTHER];
    await s.scans.import(s.admin, 'projects/p', IMAGE, vulnFixture('trivy-report.json'), '');
    await s.scans.import(s.admin, 'projects/p', OTHER, other, '');
    // Fixable findings up to MEDIUM: CVE-2099-0001 (HIGH, fixed) is over the limit; the rest pass.
    await s.policies.create(s.admin, 'projects/p', 'prod', {
      cluster: 'c1',
      namespaces: ['prod'],
      enabled: true,
      vulnerabilities: { maximumSeverity: 'MEDIUM' },
    });
  });

  it('stores one note per statement and product, with the Grafeas fields filled, audited', async () => {
    const attestor = s.caller({ p: ['attestor'] });
    const result = await s.vex.import(
      attestor,
      'projects/p',
      vex(
        statement('CVE-2099-0001', [PURL, REPO], 'not_affected', { impact_statement: 'openssl is never called', status_notes: 'checked' }),
        statement('CVE-2099-0002', [IMAGE], 'affected', { action_statement: 'upgrade zlib' }),
      ),
    );
    expect(result).to.include({ statements: 3, suppressing: 2 });
    const notes = await vexNotes(s);
    expect(notes.map((n) => n.name)).to.have.members(result.notes);
    const byProduct = (name: string, vuln: string): JsonObject =>
      notes.find((n) => {
        const va = n.vulnerabilityAssessment as JsonObject;
        return (va.product as JsonObject).name === name && (va.assessment as JsonObject).vulnerabilityId === vuln;
      })!;
    expect(byProduct(IMAGE, 'CVE-2099-0001')).to.deep.include({
      kind: 'VULNERABILITY_ASSESSMENT',
      vulnerabilityAssessment: {
        title: 'https://example.com/vex/demo-1',
        shortDescription: `CVE-2099-0001 is not affected in ${IMAGE}`,
        publisher: {
          name: 'Security Team <security@example.com>',
          issuingAuthority: 'Document Creator',
          publisherNamespace: 'https://example.com/vex/demo-1',
        },
        product: { name: IMAGE, id: PURL, genericUri: `https://${IMAGE}` },
        assessment: {
          vulnerabilityId: 'CVE-2099-0001',
          state: 'NOT_AFFECTED',
          shortDescription: 'checked',
          impacts: ['openssl is never called'],
          justification: { justificationType: 'VULNERABLE_CODE_NOT_IN_EXECUTE_PATH', details: 'openssl is never called' },
        },
      },
    });
    expect((byProduct(REPO, 'CVE-2099-0001').vulnerabilityAssessment as JsonObject).product).to.deep.equal({
      name: REPO,
      id: REPO,
      genericUri: `https://${REPO}`,
    });
    expect(((byProduct(IMAGE, 'CVE-2099-0002').vulnerabilityAssessment as JsonObject).assessment as JsonObject).remediations).to.deep.equal(
      [{ details: 'upgrade zlib' }],
    );
    const audit = (await s.audit.list(s.admin, 'projects/p', listQuery({ pageSize: 1000, filter: 'method="ImportVex"' }))).items;
    expect(audit.map((e) => e.resource)).to.have.members(result.notes);
  });

  it('a not_affected statement for the image admits it; for another digest it stays denied; a repository-wide one admits every digest', async () => {
    const denied = await verify(s, IMAGE);
    expect(denied).to.deep.include({ allowed: false, reason: 'VULNERABLE' });
    expect(violated(denied)).to.deep.equal(['CVE-2099-0001']);

    await s.vex.import(s.admin, 'projects/p', vex(statement('CVE-2099-0001', [PURL], 'not_affected')));
    expect(await verify(s, IMAGE)).to.deep.include({ allowed: true });
    expect(violated(await verify(s, OTHER))).to.deep.equal(['CVE-2099-0001']);

    await s.vex.import(s.admin, 'projects/p', vex(statement('CVE-2099-0001', [REPO], 'fixed')));
    expect(await verify(s, OTHER)).to.deep.include({ allowed: true });
  });

  it('affected and under_investigation suppress nothing; a statement about the image wins over its repository; a later statement replaces the earlier', async () => {
    await s.vex.import(s.admin, 'projects/p', vex(statement('CVE-2099-0001', [IMAGE], 'under_investigation')));
    expect((await verify(s, IMAGE)).allowed).to.equal(false);
    await s.vex.import(s.admin, 'projects/p', vex(statement('CVE-2099-0001', [REPO], 'not_affected')));
    // The image's own statement (under investigation) decides over the repository's.
    expect((await verify(s, IMAGE)).allowed).to.equal(false);
    expect((await verify(s, OTHER)).allowed).to.equal(true);
    const before = (await vexNotes(s)).length;
    await s.vex.import(s.admin, 'projects/p', vex(statement('CVE-2099-0001', [`https://${IMAGE}`], 'fixed')));
    expect(await vexNotes(s)).to.have.length(before);
    expect((await verify(s, IMAGE)).allowed).to.equal(true);
    await s.vex.import(s.admin, 'projects/p', vex(statement('CVE-2099-0001', [IMAGE], 'affected')));
    expect((await verify(s, IMAGE)).allowed).to.equal(false);
    const replaced = (await s.audit.list(s.admin, 'projects/p', listQuery({ pageSize: 1000, filter: 'method="ImportVex.Replace"' }))).items;
    expect(replaced).to.have.length(2);
  });

  it('within one document the latest statement about a pair wins; removing the note through Grafeas restores the denial', async () => {
    const result = await s.vex.import(
      s.admin,
      'projects/p',
      vex(
        statement('CVE-2099-0001', [IMAGE], 'not_affected', { timestamp: '2026-01-03T00:00:00Z' }),
        statement('CVE-2099-0001', [IMAGE], 'affected', { timestamp: '2026-01-01T00:00:00Z' }),
      ),
    );
    expect(result.statements).to.equal(1);
    expect((await verify(s, IMAGE)).allowed).to.equal(true);
    await s.notes.delete(s.admin, result.notes[0]!);
    expect((await verify(s, IMAGE)).allowed).to.equal(false);
  });

  describe('bad documents: INVALID_ARGUMENT naming the field, nothing written', () => {
    const good = statement('CVE-2099-0001', [IMAGE], 'fixed');
    const cases: { desc: string; doc: unknown; field: string }[] = [
      { desc: 'not JSON (a string)', doc: 'not json', field: 'document must be a JSON object' },
      { desc: 'a JSON array', doc: [good], field: 'document must be a JSON object' },
      { desc: 'no @context', doc: { statements: [good] }, field: 'document.@context' },
      { desc: 'no statements', doc: vex(), field: 'document.statements' },
      { desc: 'unknown status', doc: vex(good, { ...good, status: 'wontfix' }), field: 'document.statements[1].status must be one of' },
      {
        desc: 'missing vulnerability name',
        doc: vex(good, { ...good, vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2099-0001' } }),
        field: 'document.statements[1].vulnerability.name',
      },
      {
        desc: 'not_affected without a justification',
        doc: vex({ ...good, status: 'not_affected' }),
        field: 'document.statements[0].justification',
      },
      {
        desc: 'an unknown justification',
        doc: vex({ ...good, status: 'not_affected', justification: 'trust_me' }),
        field: 'document.statements[0].justification must be one of',
      },
      { desc: 'no products', doc: vex({ ...good, products: [] }), field: 'document.statements[0].products' },
      {
        desc: 'a product that is an npm package',
        doc: vex(statement('CVE-2099-0001', [IMAGE, 'pkg:npm/lodash@4.17.20'], 'fixed')),
        field: 'document.statements[0].products[1].@id is a pkg:npm package, not an image',
      },
      {
        desc: 'a purl without repository_url',
        doc: vex(statement('CVE-2099-0001', [`pkg:oci/demo@${encodeURIComponent(FIXTURE_DIGEST)}`], 'fixed')),
        field: 'document.statements[0].products[0].@id must have a repository_url',
      },
      {
        desc: 'an image by tag',
        doc: vex(statement('CVE-2099-0001', [`${REPO}:1.0.0`], 'fixed')),
        field: 'document.statements[0].products[0].@id names a tag',
      },
      {
        desc: 'something that is no image at all',
        doc: vex(statement('CVE-2099-0001', ['Not An Image!'], 'fixed')),
        field: 'document.statements[0].products[0].@id must name an image',
      },
      {
        desc: 'subcomponents',
        doc: vex({ ...good, products: [{ '@id': IMAGE, subcomponents: [{ '@id': 'pkg:deb/debian/openssl' }] }] }),
        field: 'document.statements[0].products[0].subcomponents',
      },
      { desc: 'a malformed timestamp', doc: vex({ ...good, timestamp: 'yesterday' }), field: 'document.statements[0].timestamp' },
    ];
    for (const c of cases) {
      it(c.desc, async () => {
        const err = await apiError(s.vex.import(s.admin, 'projects/p', c.doc));
        expect(err.code).to.equal('INVALID_ARGUMENT');
        expect(err.message).to.contain(c.field);
        expect(await vexNotes(s)).to.deep.equal([]);
      });
    }

    it('a missing document, a project that does not exist, a caller without the role', async () => {
      expect((await apiError(s.vex.import(s.admin, 'projects/p', undefined))).message).to.equal(
        'document is required: an OpenVEX document (JSON)',
      );
      expect((await apiError(s.vex.import(s.admin, 'projects/nope', vex(good)))).code).to.equal('NOT_FOUND');
      expect((await apiError(s.vex.import(s.caller({ p: ['viewer'] }), 'projects/p', vex(good)))).code).to.equal('PERMISSION_DENIED');
    });
  });
});
