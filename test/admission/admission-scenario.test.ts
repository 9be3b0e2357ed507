import { expect } from 'chai';
import type { RunningWebhook } from '../../src/admission/admission-webhook';
import { DIGEST, SIGNED_REPO, admissionReview, deploymentReview, fixture } from './admission-fixtures';
import { Rest, WebhookClient, admissionSettings, scenario, startAttestd, startRemoteWebhook } from './admission-harness';
import type { LooseJson } from '../support/loose-json';

// The scenario's three checks, end to end, in both modes: `serve --admission` (in-process) and `attestd admission` (remote).
for (const mode of ['in-process', 'remote'] as const) {
  describe(`admission scenario (${mode})`, () => {
    let server: Awaited<ReturnType<typeof startAttestd>>;
    let remote: RunningWebhook | undefined;
    let client: WebhookClient;
    let rest: Rest;

    before(async () => {
      server = await startAttestd(mode === 'in-process' ? { admission: admissionSettings() } : {});
      rest = new Rest(server.baseUrl);
      await scenario(rest);
      await rest.post('/v1/projects/p1/witnesses/w1:attest', { image: `${SIGNED_REPO}@${DIGEST}` });
      if (mode === 'remote') remote = await startRemoteWebhook(server.baseUrl);
      client = new WebhookClient(remote ?? server.admission!);
    });

    after(async () => {
      client?.close();
      await remote?.stop(0);
      await server?.stop();
    });

    it('check 1: an image by tag is denied with exactly "image alpine:3.11 is not attested"', async () => {
      const review = fixture('admissionreview-deployment-tag.json');
      const r = await client.review(review);
      expect(r.uid).to.equal(review.request.uid);
      expect(r.allowed).to.equal(false);
      expect(r.status).to.deep.equal({ code: 403, message: 'image alpine:3.11 is not attested' });
      expect(r.warnings.join('\n')).to.contain('TAG_REFERENCE');
      expect(r.auditAnnotations.verdict).to.equal('denied');
      expect(r.auditAnnotations.decision).to.match(/^projects\/p1\/decisions\//);
      for (const w of r.warnings) expect(w.length).to.be.below(120);
    });

    it('check 2: an unsigned image by digest is denied with exactly the scenario sentence', async () => {
      const d = fixture('kubectl-deployment-digest.json');
      const r = await client.review(admissionReview(d));
      expect(r.allowed).to.equal(false);
      expect(r.status.message).to.equal(
        'image alpine@sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45 is not attested',
      );
      expect(r.warnings.join('\n')).to.contain('NOT_ATTESTED');
    });

    it('check 3: the attested digest is admitted in the protected namespace', async () => {
      const r = await client.review(deploymentReview([`${SIGNED_REPO}@${DIGEST}`]));
      expect(r.allowed, JSON.stringify(r)).to.equal(true);
      expect(r.status).to.equal(undefined);
      expect(r.auditAnnotations.verdict).to.equal('allowed');
    });

    it('admits anything in a namespace no policy covers', async () => {
      const r = await client.review(deploymentReview(['alpine:3.11'], 'other'));
      expect(r.allowed).to.equal(true);
    });

    it('admits while the policy is disabled, and denies again on the very next review once re-enabled', async () => {
      const review = (): Record<string, LooseJson> => deploymentReview(['alpine:3.11']);
      expect((await client.review(review())).allowed).to.equal(false);
      await rest.patch('/v1/projects/p1/policies/pol', { enabled: false });
      expect((await client.review(review())).allowed).to.equal(true);
      await rest.patch('/v1/projects/p1/policies/pol', { enabled: true });
      expect((await client.review(review())).allowed).to.equal(false);
    });

    it('denies several images with one sentence each, joined by "; ", and admits none of them', async () => {
      const images = ['alpine:3.11', `${SIGNED_REPO}@${DIGEST}`, 'busybox:1.36'];
      const r = await client.review(deploymentReview(images));
      expect(r.allowed).to.equal(false);
      expect(r.status.message).to.equal('image alpine:3.11 is not attested; image busybox:1.36 is not attested');
    });

    it('records the review as a decision with its kind, name, user and verdicts', async () => {
      const review = fixture('admissionreview-deployment-tag.json');
      review.request.uid = `uid-${Date.now()}`;
      const r = await client.review(review);
      const decisionId = r.auditAnnotations.decision.split('/').pop();
      let found: LooseJson;
      for (let i = 0; i < 40 && !found; i++) {
        const page = await rest.call('GET', '/v1/projects/p1/decisions?pageSize=1000');
        found = (page.decisions ?? []).find((d: LooseJson) => String(d.name).endsWith(decisionId));
        if (!found) await new Promise((res) => setTimeout(res, 250));
      }
      expect(found, 'decision recorded within 10 s').to.not.equal(undefined);
      expect(JSON.stringify(found)).to.contain('not-sign').and.to.contain('kubernetes-admin').and.to.contain('TAG_REFERENCE');
    });
  });
}
