import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildOpenApi, exposedServices, loadCommentedProtoRoot, OPENAPI_FILE, projectDir, stableJson } from '../../scripts/openapi/openapi';
import { openApiPath, singular } from '../../scripts/openapi/openapi-paths';
import { loadProtoRoot } from '../../src/proto/proto-root';
import { httpBindings } from '../../src/transport/http/http-bindings';

type Doc = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; security?: unknown[] }>> } & Record<
  string,
  unknown
>;

describe('OpenAPI document (api/openapi.json)', () => {
  const generated = stableJson(buildOpenApi(loadCommentedProtoRoot()));
  const doc = JSON.parse(generated) as Doc;

  it('is committed as generated', () => {
    const file = path.join(projectDir(__dirname), OPENAPI_FILE);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    expect(committed === generated, `${OPENAPI_FILE} is stale: run \`npm run api:openapi\` and commit it`).to.equal(true);
  });

  it('is deterministic', () => {
    expect(stableJson(buildOpenApi(loadCommentedProtoRoot()))).to.equal(generated);
  });

  const cases: { verb: string; path: string; params: string[] }[] = [
    { verb: 'post', path: '/v1/projects/{project}/witnesses/{witness}:attest', params: ['project', 'witness'] },
    { verb: 'get', path: '/v1/projects/{project}/occurrences', params: ['project', 'filter', 'pageSize', 'pageToken'] },
    { verb: 'get', path: '/v1/projects/{project}/locations/{location}/occurrences', params: ['project', 'location', 'filter'] },
    { verb: 'post', path: '/v1/projects/{project}/locations/{location}/notes:batchCreate', params: ['project', 'location'] },
    {
      verb: 'patch',
      path: '/v1/projects/{project}/locations/{location}/notes/{note}',
      params: ['project', 'location', 'note', 'updateMask'],
    },
    { verb: 'post', path: '/v1/projects/{project}/keys', params: ['project', 'keyId'] },
    { verb: 'post', path: '/v1/projects/{project}:verifyImages', params: ['project'] },
    { verb: 'get', path: '/v1/projects/{project}/auditEvents', params: ['project', 'pageSize'] },
    { verb: 'get', path: '/healthz', params: [] },
    { verb: 'get', path: '/readyz', params: [] },
    { verb: 'get', path: '/metrics', params: [] },
  ];
  for (const c of cases) {
    it(`has ${c.verb.toUpperCase()} ${c.path} with ${c.params.join(', ') || 'no parameters'}`, () => {
      const op = doc.paths[c.path]?.[c.verb];
      expect(op, `${c.verb} ${c.path}`).to.be.an('object');
      expect((op!.parameters ?? []).map((p) => p.name)).to.include.members(c.params);
    });
  }

  it('has an operation for every REST binding the server routes, and bearer auth on each', () => {
    const shared = loadProtoRoot();
    let bindings = 0;
    for (const svc of exposedServices(loadCommentedProtoRoot())) {
      for (const b of httpBindings(shared.lookupService(svc.fullName))) {
        bindings++;
        const want = b.route.replace(/\\:/g, ':').replace(/:v\d+/g, '{}');
        const found = Object.keys(doc.paths).find((p) => p.replace(/\{[^}]+\}/g, '{}') === want && doc.paths[p]![b.verb]);
        expect(found, `${b.verb} ${b.route} (${b.rpc})`).to.be.a('string');
        expect(doc.paths[found!]![b.verb]!.security).to.deep.equal([{ bearerAuth: [] }]);
      }
    }
    const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((v) => `${v} ${p}`));
    expect(ops.length - 3).to.equal(bindings); // plus /healthz, /readyz, /metrics
    expect(exposedServices(loadCommentedProtoRoot()).map((s) => s.name)).to.include.members(['Grafeas', 'Projects', 'Witnesses']);
  });

  it('resolves every $ref', () => {
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v))
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
      }
    };
    walk(doc);
    expect(refs.length).to.be.greaterThan(100);
    for (const ref of new Set(refs)) {
      expect(ref, ref).to.match(/^#\//);
      let node: unknown = doc;
      for (const part of ref
        .slice(2)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) {
        node = (node as Record<string, unknown> | undefined)?.[part];
      }
      expect(node, `${ref} does not resolve`).to.be.an('object');
    }
  });

  it('maps proto3 JSON: int64 as strings, enums as names, maps, oneofs, timestamps', () => {
    const schemas = (
      doc.components as {
        schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; type?: string; enum?: string[] }>;
      }
    ).schemas;
    const occ = schemas['grafeas.v1.Occurrence']!.properties!;
    expect(occ.createTime).to.include({ type: 'string', format: 'date-time' });
    expect(occ.attestation!.description).to.match(/oneof `details`/);
    expect(schemas['grafeas.v1.NoteKind']).to.include({ type: 'string' });
    expect(schemas['grafeas.v1.NoteKind']!.enum).to.include('ATTESTATION');
    const batch = doc.paths['/v1/projects/{project}/notes:batchCreate']!.post as unknown as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>> } }> };
    };
    const body = batch.requestBody.content['application/json']!.schema.properties;
    expect(body).not.to.have.property('parent');
    expect(body.notes).to.have.property('additionalProperties');
    const int64 = Object.values(schemas)
      .flatMap((s) => Object.values(s.properties ?? {}))
      .find((p) => p.format === 'int64');
    expect(int64).to.include({ type: 'string' });
  });
});

describe('openApiPath', () => {
  it('expands multi-segment variables into one parameter per wildcard', () => {
    expect(openApiPath('/v1/{name=projects/*/locations/*/notes/*}:x')).to.deep.equal({
      path: '/v1/projects/{project}/locations/{location}/notes/{note}:x',
      params: ['project', 'location', 'note'].map((name) => ({
        name,
        field: 'name',
        pattern: 'projects/{project}/locations/{location}/notes/{note}',
      })),
    });
    expect(openApiPath('/v1/{parent}/things').path).to.equal('/v1/{parent}/things');
    expect(['policies', 'witnesses', 'signingRules', 'auditEvents'].map(singular)).to.deep.equal([
      'policy',
      'witness',
      'signingRule',
      'auditEvent',
    ]);
  });
});
