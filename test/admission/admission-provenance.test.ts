import { expect } from 'chai';
import type { RunningWebhook } from '../../src/admission/admission-webhook';
import { fixtureBytes, fixtureJson, MANIFEST } from '../support/supply-chain-fixtures';
import { deploymentReview } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, startAttestd, startRemoteWebhook } from './admission-harness';

const IMAGE = `${MANIFEST.image.repository}@${MANIFEST.image.digest}`;
const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const BUILDER = 'https://builder.example.com/attestd-fixture-builder@v1';
const OTHER_DIGEST = `sha256:${'e'.repeat(64)}`;

// Policies with CEL conditions over the SLSA fixture, judged through real AdmissionReviews by the in-process webhook
// (`serve --admission`) and the stand-alone adapter (`attestd admission`, asking :verifyImages), on PostgreSQL.
describe('admission: attestation requirements with CEL conditions (in-process and stand-alone)', function () {
  this.timeout(180000);
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let remote: RunningWebhook;
  const clients: Record<string, WebhookClient> = {};

  before(async () => {
    server = await startAttestd({ admission: admissionSettings() });
    const rest = new Rest(server.baseUrl);
    await rest.post('/v1/projects', { name: 'projects/p1' });
    await rest.post('/v1/projects/p1/clusters?clusterId=c1', {});
    await rest.post('/v1/projects/p1/notes?noteId=build', { build: { builderVersion: 'v1' } });
    const publicKeys = [{ pem: fixtureBytes('keys/ecdsa-p256.pub.pem').toString('utf8'), algorithm: 'ECDSA_P256_SHA256' }];
    await rest.post('/v1/projects/p1/witnesses?witnessId=ci', { publicKeys, notes: ['projects/p1/notes/build'] });
    const build = fixtureJson('grafeas/occurrence-build-slsa-v1.json') as Record<string, unknown>;
    await rest.post('/v1/projects/p1/occurrences', { ...build, noteName: 'projects/p1/notes/build' });
    const requirement = (condition: string) => ({ witness: 'projects/p1/witnesses/ci', predicateType: SLSA_V1, condition });
    const policy = (id: string, condition: string) =>
      rest.post(`/v1/projects/p1/policies?policyId=${id}`, {
        cluster: 'c1',
        namespaces: [id],
        enabled: true,
        attestations: [requirement(condition)],
      });
    await policy(
      'prod',
      `predicate.runDetails.builder.id == '${BUILDER}' && predicate.buildDefinition.externalParameters.ref == 'refs/heads/main'`,
    );
    await policy('strict', "predicate.runDetails.builder.id == 'https://other.example'");
    remote = await startRemoteWebhook(server.baseUrl);
    clients['in-process'] = new WebhookClient(server.admission!);
    clients['stand-alone'] = new WebhookClient(remote);
  });

  after(async () => {
    for (const c of Object.values(clients)) c.close();
    await remote?.stop();
    await server?.stop();
  });

  for (const path of ['in-process', 'stand-alone']) {
    describe(path, () => {
      it('admits a deployment whose provenance meets the condition', async () => {
        const r = await clients[path]!.review(deploymentReview([IMAGE], 'prod'));
        expect(r.allowed, JSON.stringify(r)).to.equal(true);
      });

      it('denies a deployment whose provenance names another builder, saying which requirement failed and why', async () => {
        const r = await clients[path]!.review(deploymentReview([IMAGE], 'strict'));
        expect(r.allowed).to.equal(false);
        expect(r.status).to.deep.equal({
          code: 403,
          message: `image ${IMAGE} does not satisfy policy strict: no ${SLSA_V1} attestation by witness ci meets its condition (builder.id was '${BUILDER}')`,
        });
        expect(JSON.parse(String(r.auditAnnotations.reasons))).to.deep.equal([{ image: IMAGE, reason: 'REQUIREMENT_NOT_MET' }]);
      });

      it('keeps the exact sentence when nothing is attested', async () => {
        const other = `${MANIFEST.image.repository}@${OTHER_DIGEST}`;
        const r = await clients[path]!.review(deploymentReview([IMAGE, other], 'prod'));
        expect(r.allowed).to.equal(false);
        expect(r.status.message).to.equal(`image ${other} is not attested`);
      });
    });
  }
});
