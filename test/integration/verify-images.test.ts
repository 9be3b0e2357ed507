import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { buildPayload } from '../../src/signing/simple-signing';
import {
  ApiClient,
  digest,
  openssl,
  opensslAvailable,
  rpc,
  tempDir,
  TRANSPORTS,
  VERIFICATION,
  type Reply,
  type Transport,
} from '../support/api-client';
import { startTestServer, type TestServer } from '../support/test-server';

// :verifyImages over REST and gRPC. Each transport works in its own, identically prepared project, and every
// case of the table runs through both: same verdicts, same reasons, in request order.

const REG = 'registry.example.com/team';
const D = {
  attested: digest('attested'),
  both: digest('both'),
  unsigned: digest('unsigned'),
  foreignKey: digest('foreign-key'),
  badSignature: digest('bad-signature'),
  disabled: digest('disabled'),
};

interface Verdict {
  readonly allowed: boolean;
  readonly reason: string;
}
interface Case {
  readonly desc: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly images: readonly string[];
  readonly breakglass?: boolean;
  readonly want: readonly Verdict[];
  readonly wantMessage?: RegExp;
}

const allow = (reason: string): Verdict => ({ allowed: true, reason });
const deny = (reason: string): Verdict => ({ allowed: false, reason });

const CASES: readonly Case[] = [
  {
    desc: 'no policy for the cluster → NO_POLICY, allowed',
    cluster: 'nowhere',
    namespace: 'prod',
    images: [`${REG}/app:1`],
    want: [allow('NO_POLICY')],
  },
  {
    desc: 'another namespace of a protected cluster → NO_POLICY',
    cluster: 'c1',
    namespace: 'dev',
    images: [`${REG}/app:1`],
    want: [allow('NO_POLICY')],
  },
  { desc: 'a disabled policy is ignored', cluster: 'c-off', namespace: 'prod', images: [`${REG}/app:1`], want: [allow('NO_POLICY')] },
  {
    desc: 'tag → TAG_REFERENCE, denied',
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/app:1`],
    want: [deny('TAG_REFERENCE')],
    wantMessage: /by tag/,
  },
  {
    desc: 'unsigned digest → NOT_ATTESTED',
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/app@${D.unsigned}`],
    want: [deny('NOT_ATTESTED')],
  },
  {
    desc: 'attested digest → ATTESTED',
    cluster: 'c1',
    namespace: 'staging',
    images: [`${REG}/app@${D.attested}`],
    want: [allow('ATTESTED')],
  },
  {
    desc: 'attested digest with a tag in front → ATTESTED',
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/app:v1@${D.attested}`],
    want: [allow('ATTESTED')],
  },
  {
    desc: 'results in request order, invalid references included',
    cluster: 'c1',
    namespace: 'prod',
    images: [
      `${REG}/app@${D.unsigned}`,
      `${REG}/app@${D.attested}`,
      `${REG}/App@${D.attested}`,
      `${REG}/app:2`,
      `${REG}/app@${D.attested}`,
    ],
    want: [deny('NOT_ATTESTED'), allow('ATTESTED'), deny('INVALID_REFERENCE'), deny('TAG_REFERENCE'), allow('ATTESTED')],
  },
  {
    desc: 'the same digest under another repository (plain) → NOT_ATTESTED',
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/third@${D.attested}`],
    want: [deny('NOT_ATTESTED')],
  },
  {
    desc: "another repository's attestation copied onto this repository → IDENTITY_MISMATCH",
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/other@${D.attested}`],
    want: [deny('IDENTITY_MISMATCH')],
  },
  {
    desc: "signed by a key that is not the witness's → UNKNOWN_KEY",
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/app@${D.foreignKey}`],
    want: [deny('UNKNOWN_KEY')],
  },
  {
    desc: "foreign signature under the witness's key id → BAD_SIGNATURE",
    cluster: 'c1',
    namespace: 'prod',
    images: [`${REG}/app@${D.badSignature}`],
    want: [deny('BAD_SIGNATURE')],
  },
  {
    desc: 'attested by a disabled key → DISABLED_KEY',
    cluster: 'c-dis',
    namespace: 'prod',
    images: [`${REG}/app@${D.disabled}`],
    want: [deny('DISABLED_KEY')],
  },
  {
    desc: 'all of 2 witnesses, only one attested → NOT_ENOUGH_WITNESSES',
    cluster: 'c-all',
    namespace: 'prod',
    images: [`${REG}/app@${D.attested}`],
    want: [deny('NOT_ENOUGH_WITNESSES')],
  },
  {
    desc: 'all of 2 witnesses, both attested → ATTESTED',
    cluster: 'c-all',
    namespace: 'prod',
    images: [`${REG}/app@${D.both}`],
    want: [allow('ATTESTED')],
  },
  {
    desc: '1 of 2 witnesses → ATTESTED',
    cluster: 'c-one',
    namespace: 'prod',
    images: [`${REG}/app@${D.attested}`],
    want: [allow('ATTESTED')],
  },
  {
    desc: '1 of 2 witnesses, none → NOT_ATTESTED',
    cluster: 'c-one',
    namespace: 'prod',
    images: [`${REG}/app@${D.unsigned}`],
    want: [deny('NOT_ATTESTED')],
  },
  {
    desc: 'allowlist: `*` stays within a segment, `**` crosses `/`',
    cluster: 'c-allow',
    namespace: 'prod',
    images: [
      'registry.example.com/base/alpine:3',
      'registry.example.com/base/sub/alpine:3',
      'gcr.io/proj/a/b/c:1',
      'gcr.io/projx/a:1',
      `registry.example.com/base/alpine@${D.unsigned}`,
    ],
    want: [allow('ALLOWLISTED'), deny('TAG_REFERENCE'), allow('ALLOWLISTED'), deny('TAG_REFERENCE'), allow('ALLOWLISTED')],
  },
  {
    desc: 'DRY_RUN admits an unsigned image with reason DRY_RUN',
    cluster: 'c-dry',
    namespace: 'prod',
    images: [`${REG}/app@${D.unsigned}`, `${REG}/app@${D.attested}`],
    want: [allow('DRY_RUN'), allow('ATTESTED')],
    wantMessage: /would be denied/,
  },
  {
    desc: 'break-glass where permitted → BREAKGLASS',
    cluster: 'c-bg-yes',
    namespace: 'prod',
    images: [`${REG}/app:1`],
    breakglass: true,
    want: [allow('BREAKGLASS')],
  },
  {
    desc: 'break-glass not asked for → denied',
    cluster: 'c-bg-yes',
    namespace: 'prod',
    images: [`${REG}/app:1`],
    want: [deny('TAG_REFERENCE')],
  },
  {
    desc: 'break-glass where not permitted → denied, saying so',
    cluster: 'c-bg-no',
    namespace: 'prod',
    images: [`${REG}/app:1`],
    breakglass: true,
    want: [deny('TAG_REFERENCE')],
    wantMessage: /break-glass is not permitted/,
  },
];

describe(':verifyImages over REST and gRPC', function () {
  this.timeout(120000);
  let server: TestServer;
  let api: ApiClient;
  let dataDir: string;
  let work: string;
  const projectOf = (t: Transport): string => `vi-${t}`;
  const attestedOccurrence: Record<string, string> = {};

  const verifyCall = (t: Transport, body: Record<string, unknown>): Promise<Reply> => {
    const p = projectOf(t);
    return api.call(
      t,
      rpc(['POST', `/v1/projects/${p}:verifyImages`, body], [VERIFICATION, 'VerifyImages', { parent: `projects/${p}`, ...body }]),
      p,
    );
  };
  const verify = async (t: Transport, cluster: string, namespace: string, images: readonly string[], breakglass = false) => {
    const got = await verifyCall(t, { cluster, namespace, images, ...(breakglass ? { breakglass } : {}) });
    expect(got.code, got.message).to.equal('OK');
    const results = (got.body.results as Array<Record<string, unknown>>).map((r) => ({ ...r, allowed: r.allowed === true }));
    return { ...got.body, allowed: got.body.allowed === true, results } as {
      allowed: boolean;
      decision: string;
      results: Array<{
        image: string;
        allowed: boolean;
        reason: string;
        message: string;
        witnesses?: string[];
        occurrences?: string[];
        policies?: string[];
      }>;
    };
  };

  async function prepare(p: string): Promise<void> {
    const post = (urlPath: string, body: unknown = {}) => api.must('POST', urlPath, body);
    await post('/v1/projects', { name: `projects/${p}` });
    for (const [k, spec] of [
      ['k1', 'RSA_2048'],
      ['k2', 'EC_P256'],
      ['kother', 'RSA_2048'],
      ['kdis', 'EC_P384'],
    ] as const)
      await post(`/v1/projects/${p}/keys?keyId=${k}`, { keySpec: spec });
    for (const [w, k] of [
      ['w1', 'k1'],
      ['w2', 'k2'],
      ['wdis', 'kdis'],
    ] as const)
      await post(`/v1/projects/${p}/witnesses?witnessId=${w}`, { key: `projects/${p}/keys/${k}` });
    const W = (w: string) => `projects/${p}/witnesses/${w}`;
    const policies: Array<[string, Record<string, unknown>]> = [
      ['main', { witnesses: [W('w1')], cluster: 'c1', namespaces: ['prod', 'staging'], enabled: true }],
      ['off', { witnesses: [W('w1')], cluster: 'c-off', namespaces: ['prod'] }],
      ['dis', { witnesses: [W('wdis')], cluster: 'c-dis', namespaces: ['prod'], enabled: true }],
      ['all', { witnesses: [W('w1'), W('w2')], cluster: 'c-all', namespaces: ['prod'], enabled: true }],
      ['one', { witnesses: [W('w1'), W('w2')], requiredWitnesses: 1, cluster: 'c-one', namespaces: ['prod'], enabled: true }],
      [
        'allow',
        {
          witnesses: [W('w1')],
          cluster: 'c-allow',
          namespaces: ['prod'],
          enabled: true,
          allowlist: ['registry.example.com/base/*', 'gcr.io/proj/**'],
        },
      ],
      ['dry', { witnesses: [W('w1')], cluster: 'c-dry', namespaces: ['prod'], enabled: true, enforcement: 'DRY_RUN' }],
      ['bg-yes', { witnesses: [W('w1')], cluster: 'c-bg-yes', namespaces: ['prod'], enabled: true, breakglassAllowed: true }],
      ['bg-no', { witnesses: [W('w1')], cluster: 'c-bg-no', namespaces: ['prod'], enabled: true }],
    ];
    // A registered cluster without policies ('nowhere') answers NO_POLICY; every cluster a policy names is registered first.
    for (const c of new Set(['nowhere', ...policies.map(([, body]) => String(body.cluster))]))
      await post(`/v1/projects/${p}/clusters?clusterId=${c}`, {});
    for (const [id, body] of policies) await post(`/v1/projects/${p}/policies?policyId=${id}`, body);

    const occ = await post(`/v1/projects/${p}/witnesses/w1:attest`, { image: `${REG}/app@${D.attested}` });
    attestedOccurrence[p] = occ.name;
    await post(`/v1/projects/${p}/witnesses/w1:attest`, { image: `${REG}/app@${D.both}` });
    await post(`/v1/projects/${p}/witnesses/w2:attest`, { image: `${REG}/app@${D.both}` });
    await post(`/v1/projects/${p}/witnesses/wdis:attest`, { image: `${REG}/app@${D.disabled}` });
    await post(`/v1/projects/${p}/keys/kdis:disable`);
    // Attack: the valid attestation of team/app copied onto team/other (same digest).
    await post(`/v1/projects/${p}/occurrences`, {
      noteName: occ.noteName,
      resourceUri: `https://${REG}/other@${D.attested}`,
      attestation: occ.attestation,
    });
    // Attacks: a payload signed by a key the witness does not hold, named as itself and as the witness's key.
    for (const [d, keyIdName] of [
      [D.foreignKey, 'kother'],
      [D.badSignature, 'k1'],
    ] as const) {
      const payload = buildPayload({ repository: `${REG}/app`, digest: d, timestamp: 1700000000 });
      const signed = await post(`/v1/projects/${p}/keys/kother:sign`, { data: payload.toString('base64') });
      await post(`/v1/projects/${p}/occurrences`, {
        noteName: `projects/${p}/notes/w1`,
        resourceUri: `https://${REG}/app@${d}`,
        attestation: {
          serializedPayload: payload.toString('base64'),
          signatures: [{ publicKeyId: `projects/${p}/keys/${keyIdName}/versions/1`, signature: signed.signature }],
        },
      });
    }
  }

  before(async () => {
    dataDir = tempDir('attestd-verify-');
    work = tempDir('attestd-verify-openssl-');
    server = await startTestServer({ env: { DATA_DIR: dataDir, MASTER_KEY: crypto.randomBytes(32).toString('base64') } });
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    for (const t of TRANSPORTS) await prepare(projectOf(t));
  });
  after(async () => {
    api?.close();
    await server?.stop();
    for (const d of [dataDir, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.desc} (REST and gRPC alike)`, async () => {
      for (const t of TRANSPORTS) {
        // Twice: the second answer may come from the verdict cache and must not differ.
        for (const round of [1, 2]) {
          const out = await verify(t, c.cluster, c.namespace, c.images, c.breakglass);
          const where = `${t} round ${round}`;
          expect(
            out.results.map((r) => r.image),
            where,
          ).to.deep.equal(c.images);
          expect(
            out.results.map((r) => ({ allowed: r.allowed, reason: r.reason })),
            `${where}: ${out.results.map((r) => r.message).join(' | ')}`,
          ).to.deep.equal(c.want);
          expect(out.allowed, where).to.equal(c.want.every((v) => v.allowed));
          expect(out.decision, where).to.match(new RegExp(`^projects/${projectOf(t)}/decisions/`));
          for (const r of out.results) expect(r.message, where).to.be.a('string').and.not.equal('');
          if (c.wantMessage) expect(out.results.map((r) => r.message).join('\n'), where).to.match(c.wantMessage);
        }
      }
    });
  }

  it('an ATTESTED result lists the policy, the witness and the occurrence that decided it', async () => {
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      const [r] = (await verify(t, 'c1', 'prod', [`${REG}/app@${D.attested}`])).results;
      expect(r!.policies).to.deep.equal([`projects/${p}/policies/main`]);
      expect(r!.witnesses).to.deep.equal([`projects/${p}/witnesses/w1`]);
      expect(r!.occurrences).to.deep.equal([attestedOccurrence[p]]);
      const [both] = (await verify(t, 'c-all', 'prod', [`${REG}/app@${D.both}`])).results;
      expect([...both!.witnesses!].sort()).to.deep.equal([`projects/${p}/witnesses/w1`, `projects/${p}/witnesses/w2`]);
      expect(both!.occurrences).to.have.length(2);
    }
  });

  it('bad input: missing cluster or namespace, invalid namespace label, no images, more than 200 images', async () => {
    const images = [`${REG}/app@${D.attested}`];
    const cases: Array<{ desc: string; body: Record<string, unknown>; wantMessage: RegExp }> = [
      { desc: 'missing cluster', body: { namespace: 'prod', images }, wantMessage: /cluster/ },
      { desc: 'missing namespace', body: { cluster: 'c1', images }, wantMessage: /namespace/ },
      { desc: 'namespace not a DNS label', body: { cluster: 'c1', namespace: 'Prod_1', images }, wantMessage: /namespace/ },
      { desc: 'cluster with a space', body: { cluster: 'c 1', namespace: 'prod', images }, wantMessage: /cluster/ },
      { desc: 'no images', body: { cluster: 'c1', namespace: 'prod', images: [] }, wantMessage: /images/ },
      {
        desc: '201 images',
        body: { cluster: 'c1', namespace: 'prod', images: Array.from({ length: 201 }, (_, i) => `${REG}/app:${i}`) },
        wantMessage: /200/,
      },
    ];
    for (const c of cases) {
      for (const t of TRANSPORTS) {
        const got = await verifyCall(t, c.body);
        expect([got.code, got.http], `${t} ${c.desc}: ${got.message}`).to.deep.equal(['INVALID_ARGUMENT', 400]);
        expect(got.message, `${t} ${c.desc}`).to.match(c.wantMessage);
      }
    }
    const exactly200 = await verify(
      'rest',
      'c1',
      'prod',
      Array.from({ length: 200 }, (_, i) => `${REG}/app:${i}`),
    );
    expect(exactly200.results).to.have.length(200);
  });

  it('changes apply to the very next call: policy disable/enable, a fresh attestation, a key enabled and disabled again', async () => {
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      const image = `${REG}/cached@${digest(`cache-${t}`)}`;
      const reason = async (cluster = 'c1', img = image) => (await verify(t, cluster, 'prod', [img])).results[0]!.reason;
      expect(await reason()).to.equal('NOT_ATTESTED');
      expect(await reason(), 'cached denial').to.equal('NOT_ATTESTED');
      await api.must('POST', `/v1/projects/${p}/witnesses/w1:attest`, { image });
      expect(await reason(), 'a fresh attestation flips the cached denial').to.equal('ATTESTED');
      await api.must('PATCH', `/v1/projects/${p}/policies/main?updateMask=enabled`, { enabled: false });
      expect(await reason(`c1`, `${REG}/app:1`), 'disabled policy').to.equal('NO_POLICY');
      await api.must('PATCH', `/v1/projects/${p}/policies/main?updateMask=enabled`, { enabled: true });
      expect(await reason(`c1`, `${REG}/app:1`), 're-enabled policy').to.equal('TAG_REFERENCE');
      const dis = `${REG}/app@${D.disabled}`;
      expect(await reason('c-dis', dis)).to.equal('DISABLED_KEY');
      await api.must('POST', `/v1/projects/${p}/keys/kdis:enable`, {});
      expect(await reason('c-dis', dis), 'key enabled').to.equal('ATTESTED');
      await api.must('POST', `/v1/projects/${p}/keys/kdis:disable`, {});
      expect(await reason('c-dis', dis), 'key disabled again flips a cached allow').to.equal('DISABLED_KEY');
      await api.must('PATCH', `/v1/projects/${p}/policies/dis?updateMask=enforcement`, { enforcement: 'DRY_RUN' });
      expect(await reason('c-dis', dis), 'enforcement changed').to.equal('DRY_RUN');
      await api.must('PATCH', `/v1/projects/${p}/policies/dis?updateMask=enforcement`, { enforcement: 'ENFORCE' });
    }
  });

  it('decisions are recorded within 5 s, filterable by allowed=false, paged, and audited as kind decision', async () => {
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      const denied = await verify(t, 'c1', 'prod', [`${REG}/app@${D.unsigned}`]);
      const allowed = await verify(t, 'c1', 'prod', [`${REG}/app@${D.attested}`]);
      const list = (query: string) =>
        api.call(
          t,
          rpc(
            ['GET', `/v1/projects/${p}/decisions?${query}`],
            [VERIFICATION, 'ListDecisions', { parent: `projects/${p}`, ...Object.fromEntries(new URLSearchParams(query)) }],
          ),
          p,
        );
      const deadline = Date.now() + 5000;
      let names: string[] = [];
      while (Date.now() < deadline) {
        const page = await list('filter=allowed%3Dfalse&pageSize=1000');
        expect(page.code, page.message).to.equal('OK');
        names = (page.body.decisions ?? []).map((d: { name: string }) => d.name);
        if (names.includes(denied.decision)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(names, `${t}: the denial is listed within 5 s`).to.include(denied.decision);
      expect(names, `${t}: allowed=false leaves out allowed decisions`).to.not.include(allowed.decision);
      const filtered = await list('filter=allowed%3Dfalse&pageSize=1000');
      for (const d of filtered.body.decisions) expect(d.allowed === true, d.name).to.equal(false);
      const mine = filtered.body.decisions.find((d: { name: string }) => d.name === denied.decision);
      expect(mine).to.include({ cluster: 'c1', namespace: 'prod', source: 'verifyImages', actor: 'test-admin' });
      expect(mine.results[0]).to.include({ image: `${REG}/app@${D.unsigned}`, reason: 'NOT_ATTESTED' });
      const all = await list('pageSize=1000');
      expect(all.body.decisions.map((d: { name: string }) => d.name)).to.include(allowed.decision);
      // Paging: one at a time, no repeats, same set as one big page.
      const seen: string[] = [];
      let token = '';
      for (let i = 0; i < 500; i++) {
        const page = await list(`pageSize=7${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
        expect(page.code, page.message).to.equal('OK');
        seen.push(...(page.body.decisions ?? []).map((d: { name: string }) => d.name));
        token = page.body.nextPageToken ?? '';
        if (!token) break;
      }
      expect(seen).to.deep.equal(all.body.decisions.map((d: { name: string }) => d.name));
      expect(new Set(seen).size).to.equal(seen.length);
      const audit = await api.must('GET', `/v1/projects/${p}/auditEvents?filter=${encodeURIComponent('kind="decision"')}&pageSize=1000`);
      const resources = audit.auditEvents.map((e: { resource: string }) => e.resource);
      expect(resources).to.include(denied.decision);
      expect(resources).to.include(allowed.decision);
      const event = audit.auditEvents.find((e: { resource: string }) => e.resource === denied.decision);
      expect(event).to.include({ kind: 'decision', method: 'VerifyImages', actor: 'test-admin' });
    }
  });

  describe('attestations made outside attestd', () => {
    const p = 'vi-rest';
    const tmp = (name: string) => path.join(work, name);

    /** Creates a witness with one external key, stores the occurrence and returns the verdict via both transports. */
    async function storeAndVerify(opts: {
      witness: string;
      pem: string;
      algorithm: string;
      keyId?: string;
      image: string;
      occurrence: Record<string, unknown>;
    }) {
      const witness = await api.must('POST', `/v1/projects/${p}/witnesses?witnessId=${opts.witness}`, {
        publicKeys: [{ pem: opts.pem, algorithm: opts.algorithm, ...(opts.keyId ? { keyId: opts.keyId } : {}) }],
      });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=c-${opts.witness}`, {});
      await api.must('POST', `/v1/projects/${p}/policies?policyId=${opts.witness}`, {
        witnesses: [witness.name],
        cluster: `c-${opts.witness}`,
        namespaces: ['prod'],
        enabled: true,
      });
      await api.must('POST', `/v1/projects/${p}/occurrences`, opts.occurrence);
      const verdicts: string[] = [];
      const rest = await verify('rest', `c-${opts.witness}`, 'prod', [opts.image]);
      const viaGrpc = await api.grpc(VERIFICATION, 'VerifyImages', {
        parent: `projects/${p}`,
        cluster: `c-${opts.witness}`,
        namespace: 'prod',
        images: [opts.image],
      });
      expect(viaGrpc.code, viaGrpc.message).to.equal('OK');
      verdicts.push(
        `${rest.results[0]!.reason}: ${rest.results[0]!.message}`,
        `${viaGrpc.body.results[0].reason}: ${viaGrpc.body.results[0].message}`,
      );
      return { witness, verdicts };
    }

    it('openssl-signed (RSA PKCS#1 v1.5 and PSS with maximum salt) simple-signing payloads stored with CreateOccurrence verify', function () {
      if (!opensslAvailable(this)) return;
      return (async () => {
        expect(openssl(work, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'ext.key']).ok).to.equal(true);
        const pub = openssl(work, ['pkey', '-in', 'ext.key', '-pubout']);
        expect(pub.ok, pub.output).to.equal(true);
        for (const [i, mode] of (['pkcs1', 'pss'] as const).entries()) {
          const image = `${REG}/outside@${digest(`outside-${mode}`)}`;
          const payload = Buffer.from(
            JSON.stringify({
              critical: {
                identity: { 'docker-reference': `${REG}/outside` },
                image: { 'docker-manifest-digest': digest(`outside-${mode}`) },
                type: 'atomic container signature',
              },
              optional: { creator: 'openssl' },
            }),
          );
          fs.writeFileSync(tmp(`payload-${mode}.json`), payload);
          const pss = mode === 'pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:max'] : [];
          const signed = openssl(work, ['dgst', '-sha256', '-sign', 'ext.key', ...pss, '-out', `sig-${mode}`, `payload-${mode}.json`]);
          expect(signed.ok, signed.output).to.equal(true);
          const keyId = `ni:///sha-256;${crypto
            .createHash('sha256')
            .update(crypto.createPublicKey(pub.output).export({ type: 'spki', format: 'der' }))
            .digest('base64url')}`;
          const { witness, verdicts } = await storeAndVerify({
            witness: `outside-${i}`,
            pem: pub.output,
            algorithm: mode === 'pss' ? 'RSA_SIGN_PSS_2048_SHA256' : 'RSA_SIGN_PKCS1_2048_SHA256',
            image,
            occurrence: {
              noteName: `projects/${p}/notes/outside-${i}`,
              resourceUri: `https://${image}`,
              attestation: {
                serializedPayload: payload.toString('base64'),
                signatures: [{ publicKeyId: keyId, signature: fs.readFileSync(tmp(`sig-${mode}`)).toString('base64') }],
              },
            },
          });
          expect(witness.publicKeys[0].keyId).to.equal(keyId);
          for (const v of verdicts) expect(v, mode).to.match(/^ATTESTED:/);
        }
      })();
    });

    it('an occurrence shaped exactly like `gcloud container binauthz attestations sign-and-create` writes it (ECDSA P-256, ni:/// key id) verifies', function () {
      if (!opensslAvailable(this)) return;
      return (async () => {
        expect(openssl(work, ['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', 'gcloud.key']).ok).to.equal(true);
        const pub = openssl(work, ['ec', '-in', 'gcloud.key', '-pubout']);
        expect(pub.ok, pub.output).to.equal(true);
        const d = digest('gcloud');
        const image = `gcr.io/my-project/hello-app@${d}`;
        // `gcloud container binauthz create-signature-payload --artifact-url=…` output: indented JSON, no "optional".
        const critical = {
          identity: { 'docker-reference': 'gcr.io/my-project/hello-app' },
          image: { 'docker-manifest-digest': d },
          type: 'Google cloud binauthz container signature',
        };
        const payload = `${JSON.stringify({ critical }, null, 2)}\n`;
        fs.writeFileSync(tmp('gcloud-payload.json'), payload);
        expect(openssl(work, ['dgst', '-sha256', '-sign', 'gcloud.key', '-out', 'gcloud.sig', 'gcloud-payload.json']).ok).to.equal(true);
        const spki = crypto.createPublicKey(pub.output).export({ type: 'spki', format: 'der' });
        const keyId = `ni:///sha-256;${crypto.createHash('sha256').update(spki).digest('base64url')}`;
        const { verdicts } = await storeAndVerify({
          witness: 'gcloud-attestor',
          pem: pub.output,
          algorithm: 'ECDSA_P256_SHA256',
          keyId,
          image,
          occurrence: {
            resourceUri: `https://${image}`,
            noteName: `projects/${p}/notes/gcloud-attestor`,
            kind: 'ATTESTATION',
            attestation: {
              serializedPayload: Buffer.from(payload).toString('base64'),
              signatures: [{ publicKeyId: keyId, signature: fs.readFileSync(tmp('gcloud.sig')).toString('base64') }],
            },
          },
        });
        for (const v of verdicts) expect(v).to.match(/^ATTESTED:/);
      })();
    });
  });
});
