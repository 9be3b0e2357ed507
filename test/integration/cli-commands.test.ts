import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { runAttestd as attestd } from '../support/run-attestd';
import { startTestServer, testToken, type TestServer } from '../support/test-server';

const REPO = '127.0.0.1:5000/team/app';
const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const SIGNED = `${REPO}@${digest('a')}`;
const UNSIGNED = `${REPO}@${digest('b')}`;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('CLI: attestd projects|keys|witnesses|policies|attest|verify against a live server', function () {
  this.timeout(120000);
  let server: TestServer;
  let env: Record<string, string>;
  const ok = async (args: readonly string[], extra: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const r = await attestd(args, { ...env, ...extra });
    expect(r.code, `attestd ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  before(async () => {
    server = await startTestServer();
    env = { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken };
  });
  after(async () => {
    await server?.stop();
  });

  it('creates a witness for an outside signer with further notes and raw envelopes accepted', async () => {
    await ok(['projects', 'create', 'chains']);
    const project = { ...env, ATTESTD_PROJECT: 'chains' };
    const pem = path.resolve(__dirname, '../../../test/fixtures/supply-chain/keys/ecdsa-p256.pub.pem');
    const args = ['witnesses', 'create', 'tekton', '--public-key', pem, '--algorithm', 'ECDSA_P256_SHA256'];
    const witness = await ok(
      [...args, '--note', 'tekton-default-taskrun-intoto', '--note', 'projects/chains/notes/b', '--accept-raw-envelope'],
      project,
    );
    expect(witness).to.deep.include({
      notes: ['projects/chains/notes/tekton-default-taskrun-intoto', 'projects/chains/notes/b'],
      acceptRawEnvelope: true,
    });
    expect((witness.publicKeys as Array<{ algorithm: string }>)[0]!.algorithm).to.equal('ECDSA_P256_SHA256');
    const table = await attestd(['witnesses', 'list', '--output', 'text'], project);
    expect(table.stdout).to.contain('projects/chains/notes/tekton-default-taskrun-intoto,projects/chains/notes/b');
    const noAlgorithm = await attestd(['witnesses', 'create', 'x', '--public-key', pem], project);
    expect(noAlgorithm.stderr).to.contain('--public-key needs --algorithm');
  });

  it('goes from an empty database to a signed, verified attestation and a policy decision with the CLI alone', async () => {
    expect(await ok(['projects', 'create', 'demo'])).to.include({ name: 'projects/demo' });
    const project = { ...env, ATTESTD_PROJECT: 'demo' };
    const key = await ok(['keys', 'create', 'k1', '--spec', 'RSA_2048', '--purpose', 'SIGN_VERIFY'], project);
    expect(key).to.include({ name: 'projects/demo/keys/k1', state: 'ENABLED', primaryVersion: 'projects/demo/keys/k1/versions/1' });
    const witness = await ok(['witnesses', 'create', 'w1', '--key', 'k1', '--description', 'CI'], project);
    expect(witness).to.include({
      name: 'projects/demo/witnesses/w1',
      key: 'projects/demo/keys/k1',
      note: 'projects/demo/notes/w1',
      description: 'CI',
    });

    const occurrence = await ok(['attest', SIGNED, '--witness', 'w1'], project);
    expect(occurrence).to.include({ kind: 'ATTESTATION', resourceUri: `https://${SIGNED}`, noteName: 'projects/demo/notes/w1' });

    // --project instead of ATTESTD_PROJECT, and the witness by full name.
    const verified = await attestd(['verify', SIGNED, '--witness', 'projects/demo/witnesses/w1'], env);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(JSON.parse(verified.stdout)).to.deep.include({ verified: true });
    expect(JSON.parse(verified.stdout).results[0]).to.include({
      reason: 'ATTESTED',
      occurrence: occurrence.name,
      keyId: 'projects/demo/keys/k1/versions/1',
    });

    const unsigned = await attestd(['verify', UNSIGNED, '--witness', 'w1', '--project', 'demo'], env);
    expect(unsigned.code).to.equal(1);
    expect(unsigned.stderr).to.match(/NOT_ATTESTED: no attestation found for https:\/\/127\.0\.0\.1:5000\/team\/app@sha256:b{64}/);
    const tag = await attestd(['verify', `${REPO}:1.0`, '--witness', 'w1', '--output', 'text'], project);
    expect(tag.code).to.equal(1);
    expect(tag.stdout).to.match(/^NOT VERIFIED 127\.0\.0\.1:5000\/team\/app:1\.0: TAG_REFERENCE: /);

    // A policy names a registered cluster: a typo is refused, listing the registered ones.
    const typo = await attestd(['policies', 'create', 'p1', '--witness', 'w1', '--cluster', 'c9', '--namespace', 'default'], project);
    expect(typo.code).to.equal(1);
    expect(typo.stderr).to.contain(
      'policy.cluster names cluster c9, which is not registered in project demo; the project has no registered clusters',
    );
    const cluster = await ok(['clusters', 'create', 'c1', '--description', 'CI cluster'], project);
    expect(cluster).to.include({ name: 'projects/demo/clusters/c1', description: 'CI cluster', webhookMode: 'OPT_OUT' });
    const clusterTable = await attestd(['clusters', 'list', '--output', 'text'], project);
    expect(clusterTable.stdout).to.match(/projects\/demo\/clusters\/c1\s+OPT_OUT\s+all but kube-system,attestd\s+1/);
    // A policy: created disabled (no policy applies), then enabled.
    const created = await ok(
      ['policies', 'create', 'p1', '--witness', 'w1', '--cluster', 'c1', '--namespace', 'default', '--note', 'CI only'],
      project,
    );
    expect(created).to.include({
      name: 'projects/demo/policies/p1',
      enabled: false,
      enforcement: 'ENFORCE',
      note: 'CI only',
      cluster: 'c1',
    });
    expect(created.witnesses).to.deep.equal(['projects/demo/witnesses/w1']);
    const before = await ok(['verify', `${REPO}:1.0`, '--namespace', 'default', '--cluster', 'c1'], project);
    expect((before.results as Array<Record<string, unknown>>)[0]).to.include({ allowed: true, reason: 'NO_POLICY' });
    expect(await ok(['policies', 'enable', 'p1'], project)).to.include({ enabled: true });

    const allowed = await attestd(['verify', SIGNED, '--namespace', 'default', '--cluster', 'c1', '--output', 'text'], project);
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect(allowed.stdout).to.match(/^ALLOWED 127\.0\.0\.1:5000\/team\/app@sha256:a{64}: ATTESTED: /);
    const denied = await attestd(['verify', `${REPO}:1.0`, '--namespace', 'default', '--cluster', 'c1'], project);
    expect(denied.code).to.equal(1);
    expect(JSON.parse(denied.stdout)).to.include({ allowed: false });
    expect(denied.stderr).to.match(/DENIED 127\.0\.0\.1:5000\/team\/app:1\.0: TAG_REFERENCE: /);
    const mixed = await attestd(['verify', SIGNED, UNSIGNED, '--namespace', 'default', '--cluster', 'c1', '--output', 'text'], project);
    expect(mixed.code).to.equal(1);
    expect(
      mixed.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[0]),
    ).to.deep.equal(['ALLOWED 127.0.0.1', 'DENIED 127.0.0.1']);

    const listed = await ok(['policies', 'list'], project);
    expect((listed.policies as unknown[]).length).to.equal(1);
    expect(await ok(['policies', 'disable', 'p1'], project)).to.include({ enabled: false });
    expect(await ok(['policies', 'delete', 'p1'], project)).to.include({ deleted: true });
    expect((await attestd(['policies', 'get', 'p1'], project)).stderr).to.match(/^attestd: NOT_FOUND: /);
  });

  it('verifies against every key version, refuses disabled keys and forged signatures', async () => {
    const project = { ...env, ATTESTD_PROJECT: 'keys' };
    await ok(['projects', 'create', 'projects/keys']);
    await ok(['keys', 'create', 'k', '--spec', 'EC_P256'], project);
    await ok(['witnesses', 'create', 'w', '--key', 'projects/keys/keys/k'], project);
    await ok(['attest', SIGNED, '--witness', 'w'], project);
    expect(await ok(['keys', 'rotate', 'k'], project)).to.include({ primaryVersion: 'projects/keys/keys/k/versions/2' });
    const second = `${REPO}@${digest('c')}`;
    await ok(['attest', second, '--witness', 'w'], project);
    const both = await ok(['verify', SIGNED, second, '--witness', 'w'], project);
    expect((both.results as Array<Record<string, unknown>>).map((r) => r.keyId)).to.deep.equal([
      'projects/keys/keys/k/versions/1',
      'projects/keys/keys/k/versions/2',
    ]);
    const pem = await attestd(['keys', 'public-key', 'k', '--version', '1', '--output', 'text'], project);
    expect(pem.stdout).to.match(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);

    // The payload of a real attestation with another digest, under the original signature.
    const real = (await ok(['attest', SIGNED, '--witness', 'w'], project)) as {
      attestation: { serializedPayload: string; signatures: unknown[] };
    };
    const forged = `${REPO}@${digest('d')}`;
    const payload = Buffer.from(real.attestation.serializedPayload, 'base64').toString().replace(digest('a'), digest('d'));
    const res = await fetch(`${server.baseUrl}/v1/projects/keys/occurrences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceUri: `https://${forged}`,
        noteName: 'projects/keys/notes/w',
        attestation: { serializedPayload: Buffer.from(payload).toString('base64'), signatures: real.attestation.signatures },
      }),
    });
    expect(res.status).to.equal(200);
    const bad = await attestd(['verify', forged, '--witness', 'w'], project);
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.stdout).results[0]).to.include({ verified: false, reason: 'BAD_SIGNATURE' });

    expect(await ok(['keys', 'disable', 'k'], project)).to.include({ state: 'DISABLED' });
    const disabled = await attestd(['verify', SIGNED, '--witness', 'w', '--output', 'text'], project);
    expect(disabled.code).to.equal(1);
    expect(disabled.stdout).to.match(/DISABLED_KEY: .*projects\/keys\/keys\/k\/versions\/1, which is disabled/);
    await ok(['keys', 'enable', 'k'], project);
    expect((await attestd(['verify', SIGNED, '--witness', 'w'], project)).code).to.equal(0);

    const keys = await attestd(['keys', 'list', '--output', 'text'], project);
    expect(keys.stdout.split('\n')[1]).to.match(/^projects\/keys\/keys\/k\s+EC_P256\s+SIGN_VERIFY\s+EC_SIGN_P256_SHA256\s+ENABLED\s+2$/);
    expect((await attestd(['witnesses', 'delete', 'w'], project)).stderr).to.match(/FAILED_PRECONDITION: .*attestation/);
    expect(await ok(['witnesses', 'delete', 'w', '--force'], project)).to.include({ deleted: true });
    expect((await ok(['witnesses', 'list'], project)).witnesses).to.deep.equal([]);
  });

  const usageCases: Array<{ desc: string; args: string[]; want: RegExp }> = [
    { desc: 'a group without subcommand', args: ['keys'], want: /usage: attestd keys <subcommand>/ },
    { desc: 'an unknown subcommand', args: ['keys', 'frobnicate'], want: /unknown subcommand "frobnicate"[\s\S]*usage: attestd keys/ },
    {
      desc: 'a missing argument',
      args: ['witnesses', 'create', '--key', 'k'],
      want: /attestd witnesses create: missing WITNESS\n\nusage: attestd witnesses create WITNESS --key KEY/,
    },
    { desc: 'an extra argument', args: ['keys', 'get', 'a', 'b'], want: /unexpected argument "b"/ },
    { desc: 'an unknown flag', args: ['keys', 'create', 'k', '--size', '2048'], want: /unknown flag --size; did you mean --spec\?/ },
    { desc: 'a flag without its value', args: ['keys', 'create', 'k', '--spec'], want: /--spec needs a value/ },
    { desc: 'no project', args: ['keys', 'list'], want: /--project is required \(or set ATTESTD_PROJECT/ },
    { desc: 'a bad --output', args: ['projects', 'list', '--output', 'yaml'], want: /--output must be json or text, got "yaml"/ },
    { desc: 'witness without key', args: ['witnesses', 'create', 'w', '--project', 'p'], want: /--key is required/ },
    { desc: 'attest without witness', args: ['attest', SIGNED, '--project', 'p'], want: /--witness is required/ },
    { desc: 'attest without image', args: ['attest', '--witness', 'w', '--project', 'p'], want: /missing IMAGE/ },
    {
      desc: 'verify without a mode',
      args: ['verify', SIGNED, '--project', 'p'],
      want: /give --witness W, or --namespace N with --cluster C/,
    },
    { desc: 'verify with both modes', args: ['verify', SIGNED, '--witness', 'w', '--cluster', 'c', '--project', 'p'], want: /not both/ },
    {
      desc: 'verify with half a policy scope',
      args: ['verify', SIGNED, '--namespace', 'n', '--project', 'p'],
      want: /needs both --namespace N and --cluster C/,
    },
    {
      desc: 'policy without namespace',
      args: ['policies', 'create', 'x', '--witness', 'w', '--cluster', 'c', '--project', 'p'],
      want: /--namespace is required/,
    },
    { desc: 'a resource name of another collection', args: ['keys', 'get', 'projects/p/witnesses/w'], want: /is not a keys name/ },
  ];
  for (const c of usageCases) {
    it(`exits 2 with a helpful message on ${c.desc}`, async () => {
      const r = await attestd(c.args, env);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stdout + r.stderr).to.match(c.want);
    });
  }

  it('prints help for every group and subcommand with exit 0', async () => {
    for (const group of ['projects', 'keys', 'witnesses', 'policies']) {
      const r = await attestd([group, '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`^usage: attestd ${group} <subcommand>[\\s\\S]*--server URL[\\s\\S]*--token T`));
    }
    const create = await attestd(['policies', 'create', '--help']);
    expect(create.code).to.equal(0);
    expect(create.stdout).to.match(/--dry-run[\s\S]*--enable/);
    for (const top of ['attest', 'verify'])
      expect((await attestd([top, '--help'])).stdout).to.match(new RegExp(`^usage: attestd ${top} IMAGE`));
    const main = await attestd(['--help']);
    for (const cmd of ['projects', 'keys', 'witnesses', 'policies', 'attest', 'verify'])
      expect(main.stdout).to.match(new RegExp(`\\n  ${cmd} `));
  });

  it('says how to get a token when there is none, and relays the server refusing one', async () => {
    const none = await attestd(['projects', 'list'], { ATTESTD_SERVER: server.baseUrl });
    expect(none.code).to.equal(2);
    expect(none.stderr).to.match(/no token: pass --token T or set ATTESTD_TOKEN; .*`attestd token create --sub YOU --role admin/);
    const bad = await attestd(['projects', 'list', '--token', 'not-a-jwt'], { ATTESTD_SERVER: server.baseUrl });
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/^attestd: UNAUTHENTICATED: .*malformed.*attestd token create/);
    const viewer = testToken({ '*': ['viewer'] }, 'viewer');
    const denied = await attestd(['projects', 'create', 'nope', '--token', viewer], { ATTESTD_SERVER: server.baseUrl });
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.match(/^attestd: PERMISSION_DENIED: /);
  });

  it('names the server it cannot reach', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await attestd(['projects', 'list', '--server', url, '--token', server.adminToken]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include(`attestd: UNAVAILABLE: cannot reach attestd at ${url} (ECONNREFUSED)`);
  });
});
