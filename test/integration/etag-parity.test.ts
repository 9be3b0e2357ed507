import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import {
  ApiClient,
  IMPORT_RULES,
  POLICIES,
  rpc,
  SIGNING_RULES,
  tempDir,
  TRANSPORTS,
  WITNESSES,
  type Rpc,
  type Transport,
} from '../support/api-client';
import { startTestServer, type TestServer } from '../support/test-server';

// Etags (AIP-154) on the resource kit's resources, through REST and gRPC alike: every read and write answers the
// current etag; an update (the etag in the body) or a delete (`?etag=` / the request's etag field) with a stale
// one is ABORTED (409) and changes nothing; with the current one, or none, it goes through. Each transport works
// in its own, identically prepared project, and both must answer the same codes and the same bodies once
// server-set values (etags, times) are normalized.

interface Kind {
  readonly service: string;
  readonly message: string;
  readonly plural: string;
  readonly field: string;
  readonly idParam: string;
  readonly body: Record<string, unknown>;
  /** A change and the field it makes visible. */
  readonly change: Record<string, unknown>;
}

const KINDS: readonly Kind[] = [
  {
    service: POLICIES,
    message: 'Policy',
    plural: 'policies',
    field: 'policy',
    idParam: 'policyId',
    body: { witnesses: ['projects/{p}/witnesses/w1'], cluster: 'c1', namespaces: ['default'] },
    change: { enabled: true },
  },
  {
    service: SIGNING_RULES,
    message: 'SigningRule',
    plural: 'signingRules',
    field: 'signingRule',
    idParam: 'ruleId',
    body: { registry: '127.0.0.1:5000', namespace: 'team', witness: 'projects/{p}/witnesses/w1' },
    change: { enabled: true },
  },
  {
    service: IMPORT_RULES,
    message: 'ImportRule',
    plural: 'importRules',
    field: 'importRule',
    idParam: 'ruleId',
    body: { registry: '127.0.0.1:5000', namespace: 'team', witnesses: ['projects/{p}/witnesses/w1'], plainHttp: true },
    change: { enabled: true },
  },
  {
    service: WITNESSES,
    message: 'Witness',
    plural: 'witnesses',
    field: 'witness',
    idParam: 'witnessId',
    body: { key: 'projects/{p}/keys/k' },
    change: { description: 'changed' },
  },
];

/** The RPCs of one kind, spelled for both transports. */
function rpcs(k: Kind, id: string) {
  const name = `projects/{p}/${k.plural}/${id}`;
  const Plural = k.plural.charAt(0).toUpperCase() + k.plural.slice(1);
  return {
    create: rpc(
      ['POST', `/v1/projects/{p}/${k.plural}?${k.idParam}=${id}`, k.body],
      [k.service, `Create${k.message}`, { parent: 'projects/{p}', [k.idParam]: id, [k.field]: k.body }],
    ),
    get: rpc(['GET', `/v1/${name}`], [k.service, `Get${k.message}`, { name }]),
    list: rpc(['GET', `/v1/projects/{p}/${k.plural}`], [k.service, `List${Plural}`, { parent: 'projects/{p}' }]),
    update: (patch: Record<string, unknown>): Rpc =>
      rpc(['PATCH', `/v1/${name}`, patch], [k.service, `Update${k.message}`, { name, [k.field]: patch }]),
    delete: (etag: string): Rpc =>
      rpc(['DELETE', `/v1/${name}${etag ? `?etag=${encodeURIComponent(etag)}` : ''}`], [k.service, `Delete${k.message}`, { name, etag }]),
  };
}

/**
 * A body comparable across transports: the project as <p>, etags as <etag>, times and proto3 default values
 * (which a gRPC message cannot tell from absent) left out.
 */
function normalized(v: unknown, project: string): unknown {
  if (typeof v === 'string') return v.replaceAll(`projects/${project}`, 'projects/<p>');
  if (Array.isArray(v)) return v.map((x) => normalized(x, project));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const empty = x === '' || x === false || x === 0 || x === '0' || (Array.isArray(x) && x.length === 0);
      if (k === 'createTime' || k === 'updateTime' || empty) continue;
      out[k] = k === 'etag' ? '<etag>' : normalized(x, project);
    }
    return out;
  }
  return v;
}

describe('etags over REST and gRPC', function () {
  this.timeout(60000);
  let server: TestServer;
  let api: ApiClient;
  let dataDir: string;
  const projectOf = (t: Transport): string => `etag-${t}`;

  before(async () => {
    dataDir = tempDir('attestd-etags-');
    server = await startTestServer({ env: { DATA_DIR: dataDir, MASTER_KEY: crypto.randomBytes(32).toString('base64') } });
    api = new ApiClient(server.baseUrl, server.grpcAddress, server.adminToken);
    for (const t of TRANSPORTS) {
      const p = projectOf(t);
      await api.must('POST', '/v1/projects', { name: `projects/${p}` });
      await api.must('POST', `/v1/projects/${p}/keys?keyId=k`, { keySpec: 'EC_P256' });
      await api.must('POST', `/v1/projects/${p}/witnesses?witnessId=w1`, { key: `projects/${p}/keys/k` });
      await api.must('POST', `/v1/projects/${p}/clusters?clusterId=c1`, {});
    }
  });
  after(async () => {
    api?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const k of KINDS) {
    it(`${k.plural}: stale etags are ABORTED (409) on update and delete, the same through both transports`, async () => {
      const runs: Record<string, { steps: string[]; bodies: unknown[] }> = {};
      for (const t of TRANSPORTS) {
        const p = projectOf(t);
        const r = rpcs(k, 'e1');
        const steps: string[] = [];
        const bodies: unknown[] = [];
        const step = async (desc: string, call: Rpc) => {
          const got = await api.call(t, call, p);
          steps.push(`${desc}: ${got.code} ${got.http}`);
          if (got.code === 'OK') bodies.push(normalized(got.body, p));
          else expect(got.message, `${t} ${desc}`).to.match(/has changed since etag .*get it again/);
          return got.body;
        };
        const created = await step('create', r.create);
        const e1 = String(created.etag);
        expect(e1, t).to.match(/^[A-Za-z0-9_-]{16,}$/);
        expect((await step('get', r.get)).etag, `${t}: get answers the etag create did`).to.equal(e1);
        const listed = await step('list', r.list);
        expect(listed[k.plural].find((x: { name: string }) => x.name.endsWith('/e1')).etag).to.equal(e1);
        const updated = await step('update with the current etag', r.update({ ...k.change, etag: e1 }));
        const e2 = String(updated.etag);
        expect(e2, t).to.not.equal(e1);
        await step('update with a stale etag', r.update({ ...k.change, etag: e1 }));
        await step('delete with a stale etag', r.delete(e1));
        expect((await step('get after refusals', r.get)).etag, `${t}: refusals change nothing`).to.equal(e2);
        const e3 = String((await step('update without an etag', r.update(k.change))).etag);
        await step('delete with the previous etag', r.delete(e2));
        await step('delete with the current etag', r.delete(e3));
        const gone = await api.call(t, r.get, p);
        steps.push(`get after delete: ${gone.code}`);
        runs[t] = { steps, bodies };
      }
      expect(runs.rest!.steps).to.deep.equal([
        'create: OK 200',
        'get: OK 200',
        'list: OK 200',
        'update with the current etag: OK 200',
        'update with a stale etag: ABORTED 409',
        'delete with a stale etag: ABORTED 409',
        'get after refusals: OK 200',
        'update without an etag: OK 200',
        'delete with the previous etag: ABORTED 409',
        'delete with the current etag: OK 200',
        'get after delete: NOT_FOUND',
      ]);
      expect(runs.grpc!.steps).to.deep.equal(runs.rest!.steps);
      expect(runs.grpc!.bodies).to.deep.equal(runs.rest!.bodies);
    });
  }
});
