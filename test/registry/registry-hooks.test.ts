import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { grpcClients } from '../support/rpc-matrix';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { call, CAPTURED_DIGEST, fixture, fixtureText, ok, poll, setUpSigning } from './registry-support';
import type { ClientMethod } from '../support/grpc-clients';
import type { LooseJson } from '../support/loose-json';

// Signing rules and registry hooks over REST against a real attestd (its hook worker signs): the
// captured Distribution envelopes, Harbor, ACR and generic payloads, redelivery, bad input, auth,
// and the hookEvents listing.

const P = 'reg';
const W = 'registry-signer';
const HOOK = `/v1/projects/${P}/hooks/distribution`;
const DIST_TYPE = 'application/vnd.docker.distribution.events.v1+json';
const IMAGE = `127.0.0.1:5000/kritis-demo/alpine@${CAPTURED_DIGEST}`;

describe('registry signing rules and hooks (REST)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let admin: string;
  let attestor: string;
  let viewer: string;

  before(async () => {
    server = await startTestServer();
    admin = server.adminToken;
    attestor = testToken({ [P]: ['attestor'] }, 'registry-notifier');
    viewer = testToken({ [P]: ['viewer'] }, 'a-viewer');
    await setUpSigning(server.baseUrl, admin, { project: P, witness: W, rule: 'kritis-demo' });
  });
  after(async () => server?.stop());

  const events = async (filter = ''): Promise<LooseJson[]> => {
    const body = await ok(
      server.baseUrl,
      viewer,
      'GET',
      `/v1/projects/${P}/hookEvents?pageSize=1000${filter ? `&filter=${encodeURIComponent(filter)}` : ''}`,
    );
    return body.hookEvents ?? [];
  };
  const attestations = async (image: string): Promise<LooseJson[]> => {
    const uri = `https://${image}`;
    const body = await ok(
      server.baseUrl,
      admin,
      'GET',
      `/v1/projects/${P}/occurrences?filter=${encodeURIComponent(`resourceUri = "${uri}"`)}`,
    );
    return body.occurrences ?? [];
  };

  describe('signing rules', () => {
    it('create, get, list, patch (implied mask and updateMask), delete', async () => {
      const created = await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/signingRules?ruleId=tmp`, {
        registry: 'Registry.Example.com:5000',
        namespace: 'team',
        witness: `projects/${P}/witnesses/${W}`,
      });
      expect(created).to.include({
        name: `projects/${P}/signingRules/tmp`,
        registry: 'registry.example.com:5000',
        namespace: 'team',
        repositories: '*',
        enabled: false,
        revision: '1',
      });
      expect(await ok(server.baseUrl, viewer, 'GET', `/v1/projects/${P}/signingRules/tmp`)).to.deep.equal(created);
      const list = await ok(server.baseUrl, viewer, 'GET', `/v1/projects/${P}/signingRules`);
      expect(list.signingRules.map((r: LooseJson) => r.name)).to.deep.equal([
        `projects/${P}/signingRules/kritis-demo`,
        `projects/${P}/signingRules/tmp`,
      ]);
      const enabled = await ok(server.baseUrl, admin, 'PATCH', `/v1/projects/${P}/signingRules/tmp`, { enabled: true });
      expect(enabled).to.include({ enabled: true, namespace: 'team', revision: '2' });
      const masked = await ok(server.baseUrl, admin, 'PATCH', `/v1/projects/${P}/signingRules/tmp?updateMask=repositories`, {
        repositories: 'apps/**',
        enabled: false,
      });
      expect(masked).to.include({ enabled: true, repositories: 'apps/**', revision: '3' });
      const del = await call(server.baseUrl, admin, 'DELETE', `/v1/projects/${P}/signingRules/tmp`);
      expect(del.status).to.equal(200);
      expect((await call(server.baseUrl, admin, 'GET', `/v1/projects/${P}/signingRules/tmp`)).status).to.equal(404);
    });

    it('rejects bad rules with INVALID_ARGUMENT / NOT_FOUND / ALREADY_EXISTS', async () => {
      const base = { registry: '127.0.0.1:5000', namespace: 'ns', witness: `projects/${P}/witnesses/${W}` };
      const cases: { desc: string; id: string; body: object; want: number }[] = [
        { desc: 'no registry', id: 'a', body: { ...base, registry: '' }, want: 400 },
        { desc: 'registry with a path', id: 'a', body: { ...base, registry: '127.0.0.1:5000/x' }, want: 400 },
        { desc: 'bad port', id: 'a', body: { ...base, registry: 'host:99999' }, want: 400 },
        { desc: 'upper-case namespace', id: 'a', body: { ...base, namespace: 'Kritis' }, want: 400 },
        { desc: 'namespace with a slash', id: 'a', body: { ...base, namespace: 'a/b' }, want: 400 },
        { desc: 'bad glob', id: 'a', body: { ...base, repositories: '/x' }, want: 400 },
        { desc: 'witness of another project', id: 'a', body: { ...base, witness: 'projects/other/witnesses/w' }, want: 400 },
        { desc: 'missing witness', id: 'a', body: { ...base, witness: `projects/${P}/witnesses/nope` }, want: 404 },
        { desc: 'bad id', id: '-x', body: base, want: 400 },
        { desc: 'id taken', id: 'kritis-demo', body: base, want: 409 },
      ];
      for (const c of cases) {
        const r = await call(server.baseUrl, admin, 'POST', `/v1/projects/${P}/signingRules?ruleId=${c.id}`, c.body);
        expect(r.status, `${c.desc}: ${JSON.stringify(r.body)}`).to.equal(c.want);
      }
    });

    it('needs admin to write, viewer to read; a witness used by a rule cannot be deleted', async () => {
      expect((await call(server.baseUrl, viewer, 'POST', `/v1/projects/${P}/signingRules?ruleId=x`, {})).status).to.equal(403);
      expect((await call(server.baseUrl, attestor, 'DELETE', `/v1/projects/${P}/signingRules/kritis-demo`)).status).to.equal(403);
      expect((await call(server.baseUrl, undefined, 'GET', `/v1/projects/${P}/signingRules`)).status).to.equal(401);
      const r = await call(server.baseUrl, admin, 'DELETE', `/v1/projects/${P}/witnesses/${W}`);
      expect(r.status).to.equal(400);
      expect(r.body.error.message).to.contain(`projects/${P}/signingRules/kritis-demo`);
    });
  });

  describe('distribution hook', () => {
    it('signs the captured manifest push (raw bytes, registry content type) and answers fast', async () => {
      const r = await call(server.baseUrl, attestor, 'POST', HOOK, fixtureText('distribution-push-manifest.raw.json'), DIST_TYPE);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect(r.ms).to.be.below(2000);
      expect(r.body).to.include({ received: 1, accepted: 1, ignored: 0 });
      expect(r.body.events[0]).to.include({
        eventId: 'b09ce6d8-8af7-4fea-9781-855d7a10ed26',
        image: IMAGE,
        tag: '3.11',
        status: 'PENDING',
        witness: `projects/${P}/witnesses/${W}`,
      });
      const signed = await poll('the push to be signed', 30_000, async () =>
        (await events('status = "SIGNED"')).find((e) => e.eventId === 'b09ce6d8-8af7-4fea-9781-855d7a10ed26'),
      );
      expect(signed.occurrence).to.match(new RegExp(`^projects/${P}/occurrences/`));
      const occ = await attestations(IMAGE);
      expect(occ).to.have.length(1);
      expect(occ[0]).to.include({ name: signed.occurrence, noteName: `projects/${P}/notes/${W}`, kind: 'ATTESTATION' });
      const verified = await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/witnesses/${W}:attest`, { image: IMAGE });
      expect(verified.name, 'the attestation is the one :attest finds (idempotent)').to.equal(signed.occurrence);
    });

    it('a redelivered event is a no-op; a second push of the same digest (new event id) signs nothing new', async () => {
      const again = await call(server.baseUrl, attestor, 'POST', HOOK, fixtureText('distribution-push-manifest.raw.json'), DIST_TYPE);
      expect(again.status).to.equal(200);
      expect(again.body).to.include({ received: 1, accepted: 0, duplicates: 1 });
      const envelope = fixture('distribution-push-manifest.json');
      envelope.events[0].id = 'second-push-same-digest';
      const second = await ok(server.baseUrl, attestor, 'POST', HOOK, envelope);
      expect(second).to.include({ accepted: 1 });
      await poll('second event signed', 30_000, async () => (await events('eventId = "second-push-same-digest" AND status = "SIGNED"'))[0]);
      expect(await attestations(IMAGE)).to.have.length(1);
    });

    it('blob pushes, pulls, deletes are acknowledged and recorded as ignored, with the reason', async () => {
      for (const name of ['distribution-push-blob.json', 'distribution-pull.json', 'distribution-delete-manifest.json']) {
        const r = await call(server.baseUrl, attestor, 'POST', HOOK, fixtureText(name), DIST_TYPE);
        expect(r.status, name).to.equal(200);
        expect(r.body, name).to.include({ received: 1, accepted: 0, ignored: 1 });
      }
      const ignored = await events('status = "IGNORED"');
      const reason = (id: string) => ignored.find((e) => e.eventId === id)?.reason;
      expect(reason('3c8052c9-30ce-4e2f-a3bd-8ebc5d8c3752')).to.contain('blob push');
      expect(reason('4b961a8e-86b4-42ca-aba8-d6b7e6992504')).to.contain('action "pull"');
      expect(reason('c736fa5d-b22a-485a-8b12-2cc32450a984')).to.contain('action "delete"');
    });

    it('an untagged manifest push is signed; a repository no rule covers is ignored and says why', async () => {
      const untagged = await ok(server.baseUrl, attestor, 'POST', HOOK, fixture('distribution-push-manifest-untagged.json'));
      expect(untagged).to.include({ accepted: 1 });
      const other = fixture('distribution-push-manifest.json');
      other.events[0].id = 'uncovered';
      other.events[0].target.repository = 'elsewhere/alpine';
      const r = await ok(server.baseUrl, attestor, 'POST', HOOK, other);
      expect(r).to.include({ accepted: 0, ignored: 1 });
      expect(r.events[0].reason).to.equal('no enabled signing rule covers 127.0.0.1:5000/elsewhere/alpine');
      const wrongHost = fixture('distribution-push-manifest.json');
      wrongHost.events[0].id = 'wrong-host';
      wrongHost.events[0].request.host = '127.0.0.1:5001';
      expect(await ok(server.baseUrl, attestor, 'POST', HOOK, wrongHost)).to.include({ ignored: 1 });
      await poll(
        'untagged signed',
        30_000,
        async () => (await events('eventId = "6585372a-215a-4ebf-a19a-ea3945d2b131" AND status = "SIGNED"'))[0],
      );
      expect(await attestations(`127.0.0.1:5000/elsewhere/alpine@${CAPTURED_DIGEST}`)).to.have.length(0);
    });

    it('several events per envelope, bad events acknowledged with clear reasons', async () => {
      const base = fixture('distribution-push-manifest.json').events[0];
      const ev = (id: string, patch: (e: LooseJson) => void) => {
        const e = structuredClone(base);
        e.id = id;
        patch(e);
        return e;
      };
      const envelope = {
        events: [
          ev('multi-1', (e) => (e.target.repository = 'kritis-demo/one')),
          ev('multi-2', (e) => (e.target.repository = 'kritis-demo/two')),
          ev('bad-digest', (e) => (e.target.digest = 'sha256:1234')),
          ev('md5-digest', (e) => (e.target.digest = `md5:${'a'.repeat(32)}`)),
          ev('no-digest', (e) => delete e.target.digest),
          ev('odd-action', (e) => (e.action = 'frobnicate')),
          ev('odd-media', (e) => (e.target.mediaType = 'application/vnd.example+json')),
          ev('bad-repo', (e) => (e.target.repository = 'kritis-demo/UPPER')),
          ev('multi-1', (e) => (e.target.repository = 'kritis-demo/one')),
        ],
      };
      const r = await ok(server.baseUrl, attestor, 'POST', HOOK, envelope);
      expect(r).to.include({ received: 9, accepted: 2, ignored: 6, duplicates: 1 });
      const reasons = Object.fromEntries(r.events.map((e: LooseJson) => [e.eventId, e.reason]));
      expect(reasons['bad-digest']).to.contain('64 hex digits');
      expect(reasons['md5-digest']).to.contain('only sha256');
      expect(reasons['no-digest']).to.equal('the event names no digest');
      expect(reasons['odd-action']).to.contain('"frobnicate"');
      expect(reasons['odd-media']).to.contain('not a manifest or index type');
      expect(reasons['bad-repo']).to.contain('lower case');
    });

    it('answers 400 for a body that is not JSON or not an envelope, 413 for a gigantic one', async () => {
      const notJson = await call(server.baseUrl, attestor, 'POST', HOOK, '{"events": [', DIST_TYPE);
      expect(notJson.status).to.equal(400);
      expect((await call(server.baseUrl, attestor, 'POST', HOOK, { hello: 'world' })).status).to.equal(400);
      expect((await call(server.baseUrl, attestor, 'POST', HOOK, '[1,2]', DIST_TYPE)).status).to.equal(400);
      const huge = { events: Array.from({ length: 1001 }, (_, i) => ({ id: `h${i}`, action: 'pull' })) };
      const many = await call(server.baseUrl, attestor, 'POST', HOOK, huge);
      expect(many.status).to.equal(413);
      expect(many.body.error).to.include({ code: 413, status: 'RESOURCE_EXHAUSTED' });
      expect(many.body.error.message).to.match(/at most 1000 events, got 1001/);
      const big = await call(server.baseUrl, attestor, 'POST', HOOK, {
        events: [{ id: 'big', action: 'pull', pad: 'x'.repeat(2 * 1024 * 1024) }],
      });
      expect(big.status).to.equal(413);
      expect(big.body.error).to.include({ code: 413, status: 'RESOURCE_EXHAUSTED' });
      expect((await events('eventId = "h1"')).length, 'nothing half-stored').to.equal(0);
    });

    it('needs the attestor role: 401 without a token, 403 for a viewer', async () => {
      expect((await call(server.baseUrl, undefined, 'POST', HOOK, fixtureText('distribution-push-blob.json'), DIST_TYPE)).status).to.equal(
        401,
      );
      expect((await call(server.baseUrl, viewer, 'POST', HOOK, fixtureText('distribution-push-blob.json'), DIST_TYPE)).status).to.equal(
        403,
      );
      const otherProject = testToken({ other: ['attestor'] });
      expect(
        (await call(server.baseUrl, otherProject, 'POST', HOOK, fixtureText('distribution-push-blob.json'), DIST_TYPE)).status,
      ).to.equal(403);
      expect(
        (
          await call(
            server.baseUrl,
            attestor,
            'POST',
            '/v1/projects/missing/hooks/distribution',
            fixtureText('distribution-push-blob.json'),
            DIST_TYPE,
          )
        ).status,
      ).to.equal(403);
      expect(
        (
          await call(
            server.baseUrl,
            admin,
            'POST',
            '/v1/projects/missing/hooks/distribution',
            fixtureText('distribution-push-blob.json'),
            DIST_TYPE,
          )
        ).status,
      ).to.equal(404);
    });
  });

  describe('harbor, acr and generic hooks', () => {
    before(async () => {
      await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/signingRules?ruleId=harbor`, {
        registry: 'hub.harbor.com',
        namespace: 'test-webhook',
        witness: `projects/${P}/witnesses/${W}`,
        enabled: true,
      });
      await ok(server.baseUrl, admin, 'POST', `/v1/projects/${P}/signingRules?ruleId=acr`, {
        registry: 'registry.cn-hangzhou.aliyuncs.com',
        namespace: 'namespace',
        witness: `projects/${P}/witnesses/${W}`,
        enabled: true,
      });
    });

    it('harbor PUSH_ARTIFACT is signed, redelivery is a no-op, other types are ignored', async () => {
      const r = await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/harbor`, fixture('harbor-push-artifact-default.json'));
      expect(r).to.include({ received: 1, accepted: 1 });
      expect(r.events[0].image).to.equal(
        'hub.harbor.com/test-webhook/debian@sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8',
      );
      expect(
        await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/harbor`, fixture('harbor-push-artifact-default.json')),
      ).to.include({ duplicates: 1 });
      const pull = { ...fixture('harbor-push-artifact-default.json'), type: 'PULL_ARTIFACT' };
      expect(await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/harbor`, pull)).to.include({ ignored: 1 });
    });

    it('acr: the host comes from ?registry= or the only rule for the namespace; the documented sample is refused for its upper-case name', async () => {
      const sample = await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/acr`, fixture('acr-push.json'));
      expect(sample).to.include({ ignored: 1 });
      expect(sample.events[0].reason).to.contain('lower case');
      const lower = fixture('acr-push.json');
      lower.repository.repo_full_name = 'namespace/repo-test';
      const viaRule = await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/acr`, lower);
      expect(viaRule).to.include({ accepted: 1 });
      expect(viaRule.events[0].image).to.equal(
        'registry.cn-hangzhou.aliyuncs.com/namespace/repo-test@sha256:457f4aa83fc9a6663ab9d1b0a6e2dce25a12a943ed5bf2c1747c58d48bbb4917',
      );
      lower.push_data.pushed_at = '2016-11-29 12:25:47';
      const viaParam = await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/acr?registry=other.example.com`, lower);
      expect(viaParam).to.include({ ignored: 1 });
      expect(viaParam.events[0].reason).to.contain('other.example.com/namespace/repo-test');
    });

    it('generic {"images": [...]}: by digest signed, by tag or malformed ignored', async () => {
      const d = 'c'.repeat(64);
      const r = await ok(server.baseUrl, attestor, 'POST', `/v1/projects/${P}/hooks/generic`, {
        images: [`127.0.0.1:5000/kritis-demo/gen@sha256:${d}`, '127.0.0.1:5000/kritis-demo/gen:latest', 'NOT AN IMAGE', 7],
      });
      expect(r).to.include({ received: 4, accepted: 1, ignored: 3 });
      await poll('generic signed', 30_000, async () => (await attestations(`127.0.0.1:5000/kritis-demo/gen@sha256:${d}`))[0]);
    });
  });

  describe('gRPC', () => {
    // google.protobuf.Value in proto-loader's object form.
    const value = (v: unknown): unknown => {
      if (v === null) return { nullValue: 'NULL_VALUE' };
      if (typeof v === 'string') return { stringValue: v };
      if (typeof v === 'number') return { numberValue: v };
      if (typeof v === 'boolean') return { boolValue: v };
      if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
      return { structValue: struct(v as Record<string, unknown>) };
    };
    const struct = (o: Record<string, unknown>) => ({ fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) });
    const unary = (clients: Map<string, grpc.Client>, service: string, rpc: string, req: object, token: string): Promise<LooseJson> =>
      new Promise((resolve, reject) => {
        const client = clients.get(service) as unknown as Record<string, ClientMethod>;
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${token}`);
        client[rpc]!.call(client, req, md, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError | null, res: unknown) =>
          err ? reject(err) : resolve(res),
        );
      });

    it('the same services answer over gRPC: rules, hooks (Struct payload) and hookEvents', async () => {
      const clients = grpcClients(server.grpcAddress);
      try {
        const rules = await unary(clients, 'attestd.v1.SigningRules', 'ListSigningRules', { parent: `projects/${P}` }, viewer);
        expect(rules.signingRules.map((r: LooseJson) => r.name)).to.include(`projects/${P}/signingRules/kritis-demo`);
        const envelope = fixture('distribution-push-manifest.json');
        envelope.events[0].id = 'via-grpc';
        envelope.events[0].target.repository = 'kritis-demo/grpc';
        const r = await unary(
          clients,
          'attestd.v1.Hooks',
          'DistributionHook',
          { parent: `projects/${P}`, payload: struct(envelope) },
          attestor,
        );
        expect(r).to.include({ received: 1, accepted: 1 });
        const denied = await unary(
          clients,
          'attestd.v1.Hooks',
          'DistributionHook',
          { parent: `projects/${P}`, payload: struct(envelope) },
          viewer,
        ).catch((e) => e);
        expect(denied.code).to.equal(grpc.status.PERMISSION_DENIED);
        const list = await unary(
          clients,
          'attestd.v1.Hooks',
          'ListHookEvents',
          { parent: `projects/${P}`, filter: 'eventId = "via-grpc"' },
          viewer,
        );
        expect(list.hookEvents).to.have.length(1);
        expect(list.hookEvents[0].image).to.equal(`127.0.0.1:5000/kritis-demo/grpc@${CAPTURED_DIGEST}`);
      } finally {
        for (const c of clients.values()) c.close();
      }
    });
  });

  describe('hookEvents', () => {
    it('filters by status, pages, and is readable by viewers only in their project', async () => {
      const all = await events();
      expect(all.length).to.be.greaterThan(10);
      const pages: LooseJson[] = [];
      let token = '';
      do {
        const page = await ok(
          server.baseUrl,
          viewer,
          'GET',
          `/v1/projects/${P}/hookEvents?pageSize=4&pageToken=${encodeURIComponent(token)}`,
        );
        pages.push(...page.hookEvents);
        token = page.nextPageToken;
      } while (token);
      expect(pages.map((e) => e.name)).to.deep.equal(all.map((e) => e.name));
      for (const status of ['IGNORED', 'SIGNED']) {
        const some = await events(`status = "${status}"`);
        expect(some.length, status).to.be.greaterThan(0);
        expect(some.every((e) => e.status === status)).to.equal(true);
      }
      expect(
        (await call(server.baseUrl, viewer, 'GET', `/v1/projects/${P}/hookEvents?filter=${encodeURIComponent('status = "BOGUS"')}`)).status,
      ).to.equal(400);
      expect((await call(server.baseUrl, testToken({ other: ['viewer'] }), 'GET', `/v1/projects/${P}/hookEvents`)).status).to.equal(403);
    });

    it('metrics show hook events, signings and the backlog', async () => {
      const text = (await call(server.baseUrl, undefined, 'GET', '/metrics')).body as string;
      expect(text).to.match(/attestd_hook_events_total\{source="distribution",outcome="accepted"\} \d+/);
      expect(text).to.match(/attestd_hook_signings_total\{result="signed"\} \d+/);
      expect(text).to.contain('attestd_hook_backlog');
      expect(text).to.contain('attestd_hook_sign_latency_seconds_bucket');
    });
  });
});
