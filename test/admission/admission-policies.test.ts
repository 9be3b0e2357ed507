import crypto from 'node:crypto';
import { expect } from 'chai';
import { BREAKGLASS_ANNOTATION } from '../../src/admission/workload-images';
import { DIGEST, KIND_CASES, SIGNED_REPO, admissionReview, deploymentReview, randomDigest } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd } from './admission-harness';
import type { LooseJson } from '../support/loose-json';

const REPO = '127.0.0.1:5000/kritis-demo';

describe('admission: workload kinds, policy features and attacks (in-process)', () => {
  let server: Awaited<ReturnType<typeof startAttestd>>;
  let client: WebhookClient;
  let rest: Rest;
  const signed = `${SIGNED_REPO}@${DIGEST}`;

  const policy = (id: string, body: Record<string, unknown>): Promise<unknown> =>
    rest.post(`/v1/projects/p1/policies?policyId=${id}`, {
      witnesses: ['projects/p1/witnesses/w1'],
      cluster: 'c1',
      enabled: true,
      ...body,
    });
  const attest = (witness: string, image: string): Promise<LooseJson> =>
    rest.post(`/v1/projects/p1/witnesses/${witness}:attest`, { image });

  before(async () => {
    server = await startAttestd({ admission: admissionSettings() });
    rest = new Rest(server.baseUrl);
    await scenario(rest);
    await attest('w1', signed);
    for (const k of ['k2', 'k3', 'k4']) await rest.post(`/v1/projects/p1/keys?keyId=${k}`, { keySpec: 'RSA_2048', purpose: 'SIGN_VERIFY' });
    await rest.post('/v1/projects/p1/witnesses?witnessId=w2', { key: 'projects/p1/keys/k2' });
    await rest.post('/v1/projects/p1/witnesses?witnessId=w3', { key: 'projects/p1/keys/k3' });
    await rest.post('/v1/projects/p1/witnesses?witnessId=w4', { key: 'projects/p1/keys/k4' });
    await policy('allow', { namespaces: ['allow'], allowlist: ['docker.io/library/busybox*', 'registry.example.com/team/*'] });
    await policy('kofn', {
      namespaces: ['kofn'],
      witnesses: ['projects/p1/witnesses/w1', 'projects/p1/witnesses/w2', 'projects/p1/witnesses/w3'],
      requiredWitnesses: 2,
    });
    await policy('dry', { namespaces: ['dry'], enforcement: 'DRY_RUN' });
    await policy('bg', { namespaces: ['bg'], breakglassAllowed: true });
    await policy('bgno', { namespaces: ['bgno'], breakglassAllowed: false });
    await policy('dk', { namespaces: ['dk'], witnesses: ['projects/p1/witnesses/w4'] });
    await rest.post('/v1/projects/p1/clusters?clusterId=c2', {});
    await policy('c2', { namespaces: ['default'], cluster: 'c2', allowlist: ['**'] });
    client = new WebhookClient(server.admission!);
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  describe('every workload kind', () => {
    for (const k of KIND_CASES) {
      it(`${k.desc}: unsigned denied with the exact sentence, attested admitted`, async () => {
        const send = (images: string[]): Promise<LooseJson> =>
          client.review(
            admissionReview(k.object(images), { gvk: k.gvk, resource: k.resource, subResource: k.subResource, operation: k.operation }),
          );
        const denied = await send(['alpine:3.11']);
        expect(denied.allowed, JSON.stringify(denied)).to.equal(false);
        expect(denied.status.message).to.equal('image alpine:3.11 is not attested');
        {
          const ok = await send([signed]);
          expect(ok.allowed, JSON.stringify(ok)).to.equal(true);
        }
      });
    }

    it('checks UPDATE like CREATE, and admits DELETE and CONNECT unchecked', async () => {
      const k = KIND_CASES[0]!;
      const base = { gvk: k.gvk, resource: k.resource };
      expect((await client.review(admissionReview(k.object(['alpine:3.11']), { ...base, operation: 'UPDATE' }))).allowed).to.equal(false);
      expect((await client.review(admissionReview(undefined, { ...base, operation: 'DELETE' }))).allowed).to.equal(true);
      expect((await client.review(admissionReview(undefined, { ...base, operation: 'CONNECT' }))).allowed).to.equal(true);
    });

    it('admits an unknown kind with a warning', async () => {
      const r = await client.review(
        admissionReview(
          { apiVersion: 'example.com/v1', kind: 'Widget', spec: { image: 'alpine:3.11' } },
          { gvk: { group: 'example.com', version: 'v1', kind: 'Widget' }, resource: 'widgets' },
        ),
      );
      expect(r.allowed).to.equal(true);
      expect(r.warnings[0]).to.contain('example.com/v1/Widget');
    });

    it('decides by request.kind, not by what the object claims to be', async () => {
      const pod = KIND_CASES[0]!.object(['alpine:3.11']);
      pod.kind = 'Widget';
      const r = await client.review(admissionReview(pod, { gvk: { group: '', version: 'v1', kind: 'Pod' }, resource: 'pods' }));
      expect(r.allowed).to.equal(false);
    });
  });

  describe('policy features', () => {
    it('allowlist: matching images pass, "*" does not cross "/"', async () => {
      const ok = await client.review(deploymentReview(['busybox:1.36', 'registry.example.com/team/app:1'], 'allow'));
      expect(ok.allowed, JSON.stringify(ok)).to.equal(true);
      const deeper = await client.review(deploymentReview(['registry.example.com/team/sub/app:1'], 'allow'));
      expect(deeper.status.message).to.equal('image registry.example.com/team/sub/app:1 is not attested');
    });

    it('k-of-n: one witness of the required two is not enough, two are', async () => {
      const image = `${REPO}/kofn@${randomDigest()}`;
      await attest('w1', image);
      const one = await client.review(deploymentReview([image], 'kofn'));
      expect(one.allowed).to.equal(false);
      expect(one.warnings.join()).to.contain('NOT_ENOUGH_WITNESSES');
      await attest('w3', image);
      expect((await client.review(deploymentReview([image], 'kofn'))).allowed).to.equal(true);
    });

    it('dry-run admits what it would deny, with a warning saying so', async () => {
      const r = await client.review(deploymentReview(['alpine:3.11'], 'dry'));
      expect(r.allowed).to.equal(true);
      expect(r.auditAnnotations.verdict).to.equal('dry-run');
      expect(r.warnings.join()).to.contain('dry-run').and.to.contain('alpine:3.11');
    });

    it('break-glass admits where the policy permits it, with a warning', async () => {
      const r = await client.review(deploymentReview(['alpine:3.11'], 'bg', { [BREAKGLASS_ANNOTATION]: 'true' }));
      expect(r.allowed).to.equal(true);
      expect(r.auditAnnotations.verdict).to.equal('breakglass');
      expect(r.warnings.join()).to.contain('break-glass');
      expect((await client.review(deploymentReview(['alpine:3.11'], 'bg'))).allowed, 'no annotation').to.equal(false);
    });

    it('break-glass is refused where the policy does not permit it, still with a warning', async () => {
      const r = await client.review(deploymentReview(['alpine:3.11'], 'bgno', { [BREAKGLASS_ANNOTATION]: 'true' }));
      expect(r.allowed).to.equal(false);
      expect(r.status.message).to.equal('image alpine:3.11 is not attested');
      expect(r.warnings.join()).to.contain('break-glass');
    });

    it('break-glass on the pod template of a workload counts too', async () => {
      const review = deploymentReview(['alpine:3.11'], 'bg');
      review.request.object.spec.template.metadata.annotations = { [BREAKGLASS_ANNOTATION]: 'true' };
      expect((await client.review(review)).allowed).to.equal(true);
    });
  });

  describe('attack table', () => {
    it("a signature by a key that is not the witness's is not an attestation", async () => {
      const digest = randomDigest();
      const genuine = await attest('w1', `${REPO}/forged-template@${randomDigest()}`);
      const payload = Buffer.from(
        JSON.stringify({
          critical: {
            identity: { 'docker-reference': `${REPO}/forged` },
            image: { 'docker-manifest-digest': digest },
            type: 'atomic container signature',
          },
          optional: {},
        }),
      );
      const sig = await rest.post('/v1/projects/p1/keys/k2:sign', { data: payload.toString('base64') });
      const forged = structuredClone(genuine);
      for (const f of ['name', 'createTime', 'updateTime', 'kind']) delete forged[f];
      forged.resourceUri = `https://${REPO}/forged@${digest}`;
      forged.attestation.serializedPayload = payload.toString('base64');
      forged.attestation.signatures = [{ ...forged.attestation.signatures[0], signature: sig.signature }];
      await rest.post('/v1/projects/p1/occurrences', forged);
      const r = await client.review(deploymentReview([`${REPO}/forged@${digest}`]));
      expect(r.allowed, JSON.stringify(r)).to.equal(false);
      expect(r.warnings.join()).to.match(/BAD_SIGNATURE|UNKNOWN_KEY/);
    });

    it('an attestation of the same digest for another repository does not admit this one (cached allow or not)', async () => {
      const digest = randomDigest();
      await attest('w1', `${REPO}/good@${digest}`);
      expect((await client.review(deploymentReview([`${REPO}/good@${digest}`]))).allowed).to.equal(true);
      const r = await client.review(deploymentReview([`${REPO}/evil@${digest}`]));
      expect(r.allowed).to.equal(false);
      expect(r.status.message).to.equal(`image ${REPO}/evil@${digest} is not attested`);
    });

    it('tag@digest: the digest decides, whatever the tag looks like', async () => {
      const bad = `${SIGNED_REPO}:3.11@${randomDigest()}`;
      const r = await client.review(deploymentReview([bad]));
      expect(r.status.message).to.equal(`image ${bad} is not attested`);
      expect((await client.review(deploymentReview([`${SIGNED_REPO}:anything@${DIGEST}`]))).allowed).to.equal(true);
    });

    it('a disabled key stops admitting on the very next review', async () => {
      const image = `${REPO}/dk@${randomDigest()}`;
      await attest('w4', image);
      expect((await client.review(deploymentReview([image], 'dk'))).allowed).to.equal(true);
      await rest.post('/v1/projects/p1/keys/k4:disable', {});
      const r = await client.review(deploymentReview([image], 'dk'));
      expect(r.allowed).to.equal(false);
      expect(r.warnings.join()).to.contain('DISABLED_KEY');
    });

    it('a policy for another cluster neither admits nor denies here', async () => {
      const r = await client.review(deploymentReview(['alpine:3.11']));
      expect(r.allowed, 'c2 allowlists everything in default; c1 must still deny').to.equal(false);
      expect(r.auditAnnotations.policies).to.equal('projects/p1/policies/pol');
    });

    it('odd but valid references are echoed as written: a port, an uppercase registry host', async () => {
      const upper = `LOCALHOST:5000/kritis-demo/alpine@${DIGEST}`;
      const r = await client.review(deploymentReview([upper]));
      expect(r.status.message).to.equal(`image ${upper} is not attested`);
      const ported = await client.review(deploymentReview([`127.0.0.1:5000/kritis-demo/alpine@${DIGEST}`]));
      expect(ported.allowed).to.equal(true);
    });

    it('an invalid reference is denied with the same sentence', async () => {
      const r = await client.review(deploymentReview(['Not A Valid/Reference!!']));
      expect(r.status.message).to.equal('image Not A Valid/Reference!! is not attested');
      expect(r.warnings.join()).to.contain('INVALID_REFERENCE');
    });
  });

  it('a cache hit sends one statement to the database: the change stamp (ADR 0045), not the verification', async () => {
    const review = (): Record<string, LooseJson> =>
      deploymentReview([signed, 'alpine:3.11', `${REPO}/other@${DIGEST}`], 'default', { u: crypto.randomUUID() });
    await client.review(review());
    await new Promise((r) => setTimeout(r, 1500)); // the decision buffer is written once a second
    const queries = async (): Promise<number> => Number(/^attestd_db_queries_total (\d+)/m.exec(await rest.text('/metrics'))![1]);
    let quiet = false;
    // The buffered decision write may land in the window; a cache that works shows a window with only the
    // stamp's statement within three tries.
    for (let i = 0; i < 3 && !quiet; i++) {
      const before = await queries();
      const r = await client.review(review());
      expect(r.allowed).to.equal(false);
      quiet = (await queries()) === before + 1;
      if (!quiet) await new Promise((res) => setTimeout(res, 1200));
    }
    expect(quiet, 'a cached review queried the database beyond its change stamp').to.equal(true);
  });
});
