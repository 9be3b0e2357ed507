import { expect } from 'chai';
import { ApiClient, rpc, TRANSPORTS, VERIFICATION, type Transport } from '../support/api-client';
import { runAttestd as attestd } from '../support/run-attestd';
import { startTestServer, type TestServer } from '../support/test-server';

// Policies for a namespace the cluster's webhook does not cover (ADR 0065): :verifyImages says so over REST and
// gRPC alike, and the CLI warns on `policies create`, `policies enable|disable` and `verify`.

const IMAGE = `registry.example.com/team/app@sha256:${'c'.repeat(64)}`;

describe('webhook coverage: :verifyImages and the CLI flag namespaces the webhook does not cover', function () {
  this.timeout(120_000);
  let server: TestServer;
  let api: ApiClient;
  let env: Record<string, string>;
  const projectOf = (t: Transport): string => `cov-${t}`;

  before(async () => {
    server = await startTestServer();
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    env = { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken };
    for (const t of [...TRANSPORTS, 'cli']) {
      const p = t === 'cli' ? 'cov-cli' : projectOf(t as Transport);
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=out`, { exemptNamespaces: ['kube-system', 'attestd', 'legacy'] });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=in`, { webhookMode: 'OPT_IN', enforcedNamespaces: ['shop'] });
    }
  });
  after(async () => {
    api?.close();
    await server?.stop();
  });

  const cases = [
    { desc: 'OPT_OUT, an ordinary namespace', cluster: 'out', namespace: 'default', coverage: 'COVERED' },
    {
      desc: 'OPT_OUT, an exempt namespace',
      cluster: 'out',
      namespace: 'legacy',
      coverage: 'NOT_COVERED',
      warning: /namespace legacy is not covered .* cluster out \(OPT_OUT\)/,
    },
    { desc: 'OPT_IN, the enforced namespace', cluster: 'in', namespace: 'shop', coverage: 'COVERED' },
    {
      desc: 'OPT_IN, a namespace not labelled',
      cluster: 'in',
      namespace: 'staging',
      coverage: 'NOT_COVERED',
      warning: /namespace staging is not covered .* cluster in \(OPT_IN\).*attestd\.io\/enforce=true/,
    },
    {
      desc: 'kube-system, whatever the mode',
      cluster: 'in',
      namespace: 'kube-system',
      coverage: 'NOT_COVERED',
      warning: /never sent to attestd/,
    },
  ] as const;

  for (const c of cases) {
    it(`:verifyImages: ${c.desc} → ${c.coverage} (REST and gRPC)`, async () => {
      for (const t of TRANSPORTS) {
        const p = projectOf(t);
        const body = { cluster: c.cluster, namespace: c.namespace, images: [IMAGE] };
        const got = await api.call(
          t,
          rpc(['POST', `/v1/projects/${p}:verifyImages`, body], [VERIFICATION, 'VerifyImages', { parent: `projects/${p}`, ...body }]),
          p,
        );
        expect(got.code, `${t}: ${got.message}`).to.equal('OK');
        expect(got.body.webhookCoverage, t).to.equal(c.coverage);
        const warnings = (got.body.warnings as string[] | undefined) ?? [];
        if ('warning' in c) {
          expect(warnings, t).to.have.length(1);
          expect(warnings[0], t).to.match(c.warning);
        } else expect(warnings, t).to.deep.equal([]);
      }
    });
  }

  it('the CLI warns on policies create and enable, and on verify; a covered namespace gets no warning', async () => {
    const project = { ...env, ATTESTD_PROJECT: 'cov-cli' };
    await attestd(['keys', 'create', 'k1'], project);
    const w = await attestd(['witnesses', 'create', 'w1', '--key', 'k1'], project);
    expect(w.code, w.stderr).to.equal(0);
    const uncovered = await attestd(
      ['policies', 'create', 'edge', '--witness', 'w1', '--cluster', 'in', '--namespace', 'shop', '--namespace', 'staging'],
      project,
    );
    expect(uncovered.code, uncovered.stderr).to.equal(0);
    expect(uncovered.stderr).to.match(/warning: namespace staging is not covered by the admission webhook of cluster in \(OPT_IN\)/);
    expect(uncovered.stderr).to.not.match(/namespace shop/);
    const enabled = await attestd(['policies', 'enable', 'edge'], project);
    expect(enabled.code, enabled.stderr).to.equal(0);
    expect(enabled.stderr).to.match(/warning: namespace staging is not covered/);
    const covered = await attestd(['policies', 'create', 'main', '--witness', 'w1', '--cluster', 'out', '--namespace', 'default'], project);
    expect(covered.code, covered.stderr).to.equal(0);
    expect(covered.stderr).to.equal('');
    const verify = await attestd(['verify', IMAGE, '--cluster', 'in', '--namespace', 'staging'], project);
    expect(verify.code).to.equal(1); // denied: not attested
    expect(verify.stderr).to.match(/warning: namespace staging is not covered .* cluster in \(OPT_IN\)/);
    expect(JSON.parse(verify.stdout)).to.include({ webhookCoverage: 'NOT_COVERED' });
    const quiet = await attestd(['verify', IMAGE, '--cluster', 'out', '--namespace', 'default', '--output', 'text'], project);
    expect(quiet.stderr).to.not.contain('warning');
  });
});
