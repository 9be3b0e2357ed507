import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/grafeas';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server';
import { FIXTURE_DIGEST } from '../support/vuln-fixtures';

// VEX statements imported through POST /v1/projects/{p}/vex are valid Grafeas VULNERABILITY_ASSESSMENT notes:
// Google's own client (over gRPC) lists them by kind, reads every mapped field back, and deletes one.

const REPO = 'registry.example.com/attestd/demo';
const IMAGE = `${REPO}@${FIXTURE_DIGEST}`;

describe("VEX statements read back through Google's Grafeas client", function () {
  this.timeout(60000);
  let server: TestServer;
  let client: InstanceType<typeof v1.GrafeasClient>;
  let opts: object;

  const rest = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };

  before(async () => {
    server = await startTestServer();
    client = new v1.GrafeasClient({
      servicePath: '127.0.0.1',
      port: server.grpcPort,
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    });
    opts = { otherArgs: { headers: { authorization: `Bearer ${server.adminToken}` } } };
    await rest('/v1/projects', { name: 'projects/vexed' });
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  it('lists the notes by kind and reads state, justification, product, publisher and remediations', async () => {
    const imported = await rest('/v1/projects/vexed/vex', {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/conformance',
      author: 'Security Team',
      role: 'Document Creator',
      timestamp: '2026-01-02T00:00:00Z',
      statements: [
        {
          vulnerability: { name: 'CVE-2099-0001', '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2099-0001' },
          products: [{ '@id': IMAGE }],
          status: 'not_affected',
          justification: 'component_not_present',
          impact_statement: 'openssl is not in the image',
        },
        { vulnerability: { name: 'CVE-2099-0002' }, products: [{ '@id': REPO }], status: 'affected', action_statement: 'upgrade zlib' },
      ],
    });
    const [notes] = await client.listNotes({ parent: 'projects/vexed', filter: 'kind = VULNERABILITY_ASSESSMENT' }, opts);
    expect(notes.map((n) => n.name)).to.have.members(imported.notes as string[]);
    const byVuln = new Map(notes.map((n) => [n.vulnerabilityAssessment?.assessment?.vulnerabilityId, n]));
    const first = byVuln.get('CVE-2099-0001')!;
    expect(first.kind).to.equal('VULNERABILITY_ASSESSMENT');
    const va = first.vulnerabilityAssessment!;
    expect(va.title).to.equal('https://example.com/vex/conformance');
    expect(va.publisher).to.deep.include({
      name: 'Security Team',
      issuingAuthority: 'Document Creator',
      publisherNamespace: 'https://example.com/vex/conformance',
    });
    expect(va.product).to.deep.include({ name: IMAGE, id: IMAGE, genericUri: `https://${IMAGE}` });
    expect(va.assessment?.state).to.equal('NOT_AFFECTED');
    expect(va.assessment?.justification).to.deep.include({
      justificationType: 'COMPONENT_NOT_PRESENT',
      details: 'openssl is not in the image',
    });
    expect(va.assessment?.impacts).to.deep.equal(['openssl is not in the image']);
    expect(va.assessment?.relatedUris?.[0]).to.deep.include({ url: 'https://nvd.nist.gov/vuln/detail/CVE-2099-0001' });
    const second = byVuln.get('CVE-2099-0002')!.vulnerabilityAssessment!;
    expect(second.product).to.deep.include({ name: REPO, genericUri: `https://${REPO}` });
    expect(second.assessment?.state).to.equal('AFFECTED');
    expect(second.assessment?.remediations?.[0]).to.deep.include({ details: 'upgrade zlib' });

    await client.deleteNote({ name: first.name }, opts);
    const [left] = await client.listNotes({ parent: 'projects/vexed', filter: 'kind = VULNERABILITY_ASSESSMENT' }, opts);
    expect(left.map((n) => n.name)).to.deep.equal([byVuln.get('CVE-2099-0002')!.name]);
  });
});
