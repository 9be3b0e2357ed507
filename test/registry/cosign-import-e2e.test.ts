import { expect } from 'chai';
import crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importCommand } from '../../src/cli/import-command';
import { pae } from '../../src/signing/dsse';
import { deploymentReview } from '../admission/admission-fixtures';
import { admissionSettings, Rest, startAttestd, WebhookClient } from '../admission/admission-harness';
import { ApiClient, IMPORT_RULES } from '../support/api-client';
import type { LooseJson } from '../support/loose-json';
import { testToken } from '../support/test-server';
import { pushCosignAttestation, pushCosignSignature, pushReferrer } from './oci-push';
import { poll } from './registry-support';
import { buildOciImage, REGISTRY_TOOLS, requireTools, skopeoPush, startDockerRegistry, type DockerRegistry } from './start-docker-registry';

// cosign signatures from a real registry (ADR 0020): Debian's docker-registry notifies attestd's distribution hook;
// an image is pushed with skopeo, then a cosign-layout signature (simple signing, signed here with node:crypto over
// the pushed digest as `cosign sign --key` does) and an `.att` DSSE envelope are uploaded through the registry API.
// The import rule's witness holds only the public key: the hook imports both, byte for byte, and the admission
// webhook admits the image under a policy requiring that witness, while the same digest in a repository no rule
// covers is denied; a tampered signature is rejected with its reason and stores nothing.

const P = 'p1';
const W = 'cosign';

describe('cosign import end to end: docker-registry → hook → import → AdmissionReview', function () {
  this.timeout(240_000);
  let server: Awaited<ReturnType<typeof startAttestd>> | undefined;
  let registry: DockerRegistry | undefined;
  let client: WebhookClient | undefined;
  let rest: Rest;
  let dir = '';
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async function () {
    requireTools(this, Object.values(REGISTRY_TOOLS), 'the cosign import end-to-end test');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-cosign-e2e-'));
    server = await startAttestd({ admission: admissionSettings() });
    rest = new Rest(server.baseUrl);
    registry = await startDockerRegistry(
      dir,
      `notifications:
  endpoints:
    - name: attestd
      url: ${server.baseUrl}/v1/projects/${P}/hooks/distribution
      headers:
        Authorization: [Bearer ${testToken({ [P]: ['attestor'] }, 'docker-registry')}]
      timeout: 2s
      threshold: 3
      backoff: 1s
`,
    );
    await rest.post('/v1/projects', { name: `projects/${P}` });
    await rest.post(`/v1/projects/${P}/witnesses?witnessId=${W}`, {
      publicKeys: [{ pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), algorithm: 'ECDSA_P256_SHA256' }],
    });
    await rest.post(`/v1/projects/${P}/importRules?ruleId=team`, {
      registry: registry.host,
      namespace: 'team',
      repositories: '*',
      witnesses: [`projects/${P}/witnesses/${W}`],
      plainHttp: true,
      enabled: true,
    });
    await rest.post(`/v1/projects/${P}/clusters?clusterId=c1`, {});
    await rest.post(`/v1/projects/${P}/policies?policyId=pol`, {
      witnesses: [`projects/${P}/witnesses/${W}`],
      cluster: 'c1',
      namespaces: ['default'],
      enabled: true,
    });
    client = new WebhookClient(server.admission!);
    await buildOciImage(dir);
  });

  after(async () => {
    client?.close();
    await registry?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const events = async (filter: string): Promise<LooseJson[]> =>
    (await rest.call('GET', `/v1/projects/${P}/hookEvents?pageSize=1000&filter=${encodeURIComponent(filter)}`)).hookEvents ?? [];
  const target = () => ({ baseUrl: registry!.baseUrl });
  const simpleSigning = (repository: string, digest: string): Buffer =>
    Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${registry!.host}/${repository}` },
          image: { 'docker-manifest-digest': digest },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );

  it('imports a .sig and an .att pushed next to the image, byte for byte; the admission webhook admits it, not elsewhere', async () => {
    const digest = await skopeoPush(dir, `${registry!.host}/team/app:1.0`);
    const image = `${registry!.host}/team/app@${digest}`;
    const payload = simpleSigning('team/app', digest);
    const signature = crypto.sign('sha256', payload, privateKey).toString('base64');
    const sig = await pushCosignSignature(target(), 'team/app', digest, payload, signature);
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: 'https://slsa.dev/provenance/v1',
        subject: [{ name: `${registry!.host}/team/app`, digest: { sha256: digest.slice('sha256:'.length) } }],
        predicate: { runDetails: { builder: { id: 'https://builder.example/v1' } } },
      }),
    );
    const type = 'application/vnd.in-toto+json';
    const envelope = {
      payloadType: type,
      payload: statement.toString('base64'),
      signatures: [{ keyid: '', sig: crypto.sign('sha256', pae(type, statement), privateKey).toString('base64') }],
    };
    const att = await pushCosignAttestation(target(), 'team/app', digest, JSON.stringify(envelope), 'https://slsa.dev/provenance/v1');

    const imported = await poll('both signature manifests to be imported', 60_000, async () => {
      const done = await events(`status = "IMPORTED"`);
      return done.length >= 2 ? done : undefined;
    });
    expect(imported.map((e) => [e.tag, e.importRule, e.witness, e.image]).sort()).to.deep.equal(
      [
        [sig.tag, `projects/${P}/importRules/team`, `projects/${P}/witnesses/${W}`, `${registry!.host}/team/app@${sig.digest}`],
        [att.tag, `projects/${P}/importRules/team`, `projects/${P}/witnesses/${W}`, `${registry!.host}/team/app@${att.digest}`],
      ].sort(),
    );
    const bySig = imported.find((e) => e.tag === sig.tag)!;
    const byAtt = imported.find((e) => e.tag === att.tag)!;
    expect(bySig.occurrences).to.have.length(1);
    const simple = await rest.call('GET', `/v1/${bySig.occurrence}`);
    expect(simple).to.deep.include({ resourceUri: `https://${image}`, noteName: `projects/${P}/notes/${W}`, kind: 'ATTESTATION' });
    expect(Buffer.from(simple.attestation.serializedPayload, 'base64').equals(payload)).to.equal(true);
    expect(simple.attestation.signatures).to.have.length(1);
    expect(simple.attestation.signatures[0].signature).to.equal(signature);
    const dsse = await rest.call('GET', `/v1/${byAtt.occurrence}`);
    expect(dsse.resourceUri).to.equal(`https://${image}`);
    expect(Buffer.from(dsse.envelope.payload, 'base64').equals(statement)).to.equal(true);
    expect(dsse.envelope.payloadType).to.equal(type);
    expect(dsse.envelope.signatures).to.deep.equal(envelope.signatures);

    const admitted = await client!.review(deploymentReview([image]));
    expect(admitted.allowed, JSON.stringify(admitted)).to.equal(true);
    const elsewhere = `${registry!.host}/other/app@${digest}`;
    const denied = await client!.review(deploymentReview([elsewhere]));
    expect(denied.allowed).to.equal(false);
    expect(denied.status.message).to.equal(`image ${elsewhere} is not attested`);
    // Pushing the signature again (a new event, the same manifest) imports nothing new.
    await pushCosignSignature(target(), 'team/app', digest, payload, signature);
    await poll('the second push to be received', 60_000, async () => ((await events(`tag = "${sig.tag}"`)).length >= 2 ? true : undefined));
    expect((await events(`tag = "${sig.tag}"`)).map((e) => e.status)).to.deep.equal(['IMPORTED', 'IMPORTED']);
    const occurrences = await rest.call('GET', `/v1/projects/${P}/occurrences?pageSize=100`);
    expect(occurrences.occurrences).to.have.length(2);
  });

  it('a tampered signature is rejected with the reason in hookEvents, and nothing is stored for the image', async () => {
    const digest = await skopeoPush(dir, `${registry!.host}/team/tampered:1.0`);
    const signed = simpleSigning('team/tampered', digest);
    const signature = crypto.sign('sha256', signed, privateKey).toString('base64');
    const changed = Buffer.from(signed.toString('utf8').replace('"optional":null', '"optional":{"x":1}'));
    const sig = await pushCosignSignature(target(), 'team/tampered', digest, changed, signature);
    const rejected = await poll('the tampered signature to be rejected', 60_000, async () =>
      (await events(`tag = "${sig.tag}"`)).find((e) => e.status === 'REJECTED'),
    );
    expect(rejected).to.deep.include({ importRule: `projects/${P}/importRules/team`, occurrence: '', occurrences: [] });
    expect(rejected.reason).to.match(
      /^BAD_SIGNATURE: manifest team\/tampered@sha256:[0-9a-f]{64} layer 0 .*no enabled key of the witness verifies/,
    );
    const image = `${registry!.host}/team/tampered@${digest}`;
    const occurrences = await rest.call(
      'GET',
      `/v1/projects/${P}/occurrences?pageSize=100&filter=${encodeURIComponent(`resourceUrl = "https://${image}"`)}`,
    );
    expect(occurrences.occurrences ?? []).to.deep.equal([]);
    const denied = await client!.review(deploymentReview([image]));
    expect(denied.allowed).to.equal(false);
    expect(denied.status.message).to.equal(`image ${image} is not attested`);
  });

  it('a cosign v3 Sigstore bundle pushed as an OCI 1.1 referrer (by digest, with a subject) is imported', async () => {
    const digest = await skopeoPush(dir, `${registry!.host}/team/v3:1.0`);
    const image = `${registry!.host}/team/v3@${digest}`;
    const manifest = await fetch(`${registry!.baseUrl}/v2/team/v3/manifests/${digest}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const size = (await manifest.arrayBuffer()).byteLength;
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ digest: { sha256: digest.slice('sha256:'.length) } }],
        predicateType: 'https://sigstore.dev/cosign/sign/v1',
        predicate: {},
      }),
    );
    const type = 'application/vnd.in-toto+json';
    const bundle = JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: {} },
      dsseEnvelope: {
        payload: statement.toString('base64'),
        payloadType: type,
        signatures: [{ sig: crypto.sign('sha256', pae(type, statement), privateKey).toString('base64'), keyid: '' }],
      },
    });
    const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const referrer = await pushReferrer(
      target(),
      'team/v3',
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size },
      bundleType,
      bundleType,
      bundle,
    );
    const done = await poll('the referrer push to be imported (pulls are reported too)', 60_000, async () =>
      (await events(`image = "${registry!.host}/team/v3@${referrer.digest}"`)).find((e) => e.action === 'push' && e.status !== 'PENDING'),
    );
    expect(done, JSON.stringify(done)).to.deep.include({ status: 'IMPORTED', tag: '', importRule: `projects/${P}/importRules/team` });
    const occurrence = await rest.call('GET', `/v1/${done.occurrence}`);
    expect(occurrence.resourceUri).to.equal(`https://${image}`);
    expect(Buffer.from(occurrence.envelope.payload, 'base64').equals(statement)).to.equal(true);
    expect((await client!.review(deploymentReview([image]))).allowed).to.equal(true);
  });

  it('attestd import: signatures of an image pushed before its import rule existed are imported on demand', async () => {
    const digest = await skopeoPush(dir, `${registry!.host}/early/app:2.0`);
    const image = `${registry!.host}/early/app@${digest}`;
    const payload = simpleSigning('early/app', digest);
    const signature = crypto.sign('sha256', payload, privateKey).toString('base64');
    const sig = await pushCosignSignature(target(), 'early/app', digest, payload, signature);
    const pushed = `image = "${registry!.host}/early/app@${sig.digest}"`;
    await poll('the uncovered push to be ignored', 60_000, async () => (await events(pushed))[0]);
    expect((await events(pushed)).map((e) => e.status)).to.deep.equal(['IGNORED']);
    expect((await client!.review(deploymentReview([image]))).allowed).to.equal(false);
    await rest.post(`/v1/projects/${P}/importRules?ruleId=early`, {
      registry: registry!.host,
      namespace: 'early',
      witnesses: [`projects/${P}/witnesses/${W}`],
      plainHttp: true,
      enabled: true,
    });
    const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const io = {
        out: { write: (t: string) => (out += t) },
        err: { write: (t: string) => (err += t) },
        env: { ATTESTD_SERVER: server!.baseUrl, ATTESTD_TOKEN: testToken({ [P]: ['attestor'] }, 'importer'), ATTESTD_PROJECT: P },
      };
      return { code: await importCommand(argv, io), out, err };
    };
    const first = await cli(`${registry!.host}/early/app:2.0`);
    expect(first.code, first.err).to.equal(0);
    const answer = JSON.parse(first.out);
    expect(answer.image).to.equal(image);
    expect(answer.results).to.have.length(1);
    expect(answer.results[0]).to.deep.include({
      witness: `projects/${P}/witnesses/${W}`,
      importRule: `projects/${P}/importRules/early`,
      source: `${registry!.host}/early/app:${sig.tag}`,
      status: 'IMPORTED',
      reason: '',
    });
    expect(answer.occurrences).to.have.length(1);
    const occurrence = await rest.call('GET', `/v1/${answer.occurrences[0]}`);
    expect(Buffer.from(occurrence.attestation.serializedPayload, 'base64').equals(payload)).to.equal(true);
    expect((await client!.review(deploymentReview([image]))).allowed).to.equal(true);
    const again = await cli(image, '--output', 'text');
    expect(again.code, again.err).to.equal(0);
    expect(again.out.trim()).to.equal(`IMPORTED ${registry!.host}/early/app:${sig.tag} for ${W}: ${answer.occurrences[0]}`);
    // The same method over gRPC answers the same.
    const api = new ApiClient(server!.baseUrl, `127.0.0.1:${server!.grpcPort}`, testToken({ [P]: ['attestor'] }, 'importer'));
    try {
      const viaGrpc = await api.grpc(IMPORT_RULES, 'ImportImage', { parent: `projects/${P}`, image });
      expect(viaGrpc.code, viaGrpc.message).to.equal('OK');
      const body = viaGrpc.body;
      expect(body.image).to.equal(image);
      expect(body.occurrences).to.deep.equal(answer.occurrences);
      expect(body.results.map((r: LooseJson) => [r.witness, r.importRule, r.source, r.status, r.occurrences])).to.deep.equal(
        answer.results.map((r: LooseJson) => [r.witness, r.importRule, r.source, r.status, r.occurrences]),
      );
      const refused = await api.grpc(IMPORT_RULES, 'ImportImage', {
        parent: `projects/${P}`,
        image: `${registry!.host}/nowhere/app@${digest}`,
      });
      expect(refused.code).to.equal('FAILED_PRECONDITION');
    } finally {
      api.close();
    }
    const unsigned = await skopeoPush(dir, `${registry!.host}/early/unsigned:1`);
    const none = await cli(`${registry!.host}/early/unsigned@${unsigned}`, '--output', 'text');
    expect(none.code).to.equal(1);
    expect(none.out.trim()).to.equal(`no cosign signatures found for ${registry!.host}/early/unsigned@${unsigned}`);
    const uncovered = await cli(`${registry!.host}/nowhere/app@${digest}`);
    expect(uncovered.code).to.equal(1);
    expect(uncovered.err).to.match(/FAILED_PRECONDITION: no enabled import rule of projects\/p1 covers 127\.0\.0\.1:\d+\/nowhere\/app/);
  });
});
