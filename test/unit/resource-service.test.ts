import crypto from 'node:crypto';
import { expect } from 'chai';
import { AuditRecorder } from '../../src/audit/audit-recorder';
import { Access } from '../../src/auth/access';
import type { Clock } from '../../src/domain/clock';
import type { JsonObject } from '../../src/domain/message-types';
import type { ClusterSpec } from '../../src/domain/resources/cluster-spec';
import type { PolicySpec } from '../../src/domain/resources/policy-spec';
import type { SigningRuleSpec } from '../../src/domain/resources/signing-rule-spec';
import type { WitnessSpec } from '../../src/domain/resources/witness-spec';
import type { RequestContext } from '../../src/domain/request-context';
import { CLUSTER_KIND } from '../../src/policies/cluster-kind';
import { POLICY_KIND } from '../../src/policies/policy-kind';
import { SIGNING_RULE_KIND } from '../../src/registry/signing-rule-kind';
import { ResourceService } from '../../src/resources/resource-service';
import { WITNESS_KIND } from '../../src/witnesses/witness-kind';
import { AUDIT_PENDING, KEYS as KEY_ROWS, NOTES as NOTE_ROWS, OCCURRENCES as OCCURRENCE_ROWS } from '../../src/store/memory/memory-schema';
import { MemoryDatabase, MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';

// The resource kit's service, table-driven on the memory stores: create/get/list, validation per field, reference
// checks, masked updates, etags, deletes with their side effects, permissions and the audit trail. Runs in memory.

const P = 'projects/p';
const W1 = `${P}/witnesses/w1`;
const W2 = `${P}/witnesses/w2`;
const admin: RequestContext = {
  requestId: 'r1',
  principal: { subject: 'alice', roles: { p: ['admin'], q: ['admin'] } },
  transport: 'internal',
};
const root: RequestContext = { requestId: 'r0', principal: { subject: 'root', roles: { '*': ['admin'] } }, transport: 'internal' };
const viewer: RequestContext = { requestId: 'r2', principal: { subject: 'vic', roles: { p: ['viewer'] } }, transport: 'internal' };
const stranger: RequestContext = { requestId: 'r3', principal: { subject: 'sam', roles: { q: ['admin'] } }, transport: 'internal' };
const anonymous: RequestContext = { requestId: 'r4', principal: undefined, transport: 'internal' };

const POLICY = { witnesses: [W1], cluster: 'c1', namespaces: ['default'] };
const RULE = { registry: '127.0.0.1:5000', namespace: 'team', witness: W1 };
const PEM = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** A clock one second further at every reading. */
function tickingClock(): Clock {
  let t = Date.parse('2026-03-01T00:00:00.000Z');
  return { now: () => new Date((t += 1000)).toISOString() };
}

/** The code a call answered: OK or its ApiError's. */
async function outcome(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: 'OK', message: '' };
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (!e.code) throw err;
    return { code: e.code, message: e.message };
  }
}

describe('resource kit: the service on memory stores', () => {
  let database: MemoryDatabase;
  let uow: MemoryUnitOfWork;
  let policies: ResourceService<PolicySpec>;
  let rules: ResourceService<SigningRuleSpec>;
  let witnesses: ResourceService<WitnessSpec>;
  let clusters: ResourceService<ClusterSpec>;
  let services: Record<'policies' | 'rules' | 'witnesses', ResourceService<unknown>>;
  const audited = () =>
    database.committed
      .table(AUDIT_PENDING)
      .rows()
      .map((e) => `${e.method} ${e.resource} by ${e.actor}`);

  beforeEach(async () => {
    database = new MemoryDatabase();
    uow = new MemoryUnitOfWork(database);
    const clock = tickingClock();
    const args = [uow, new Access(true), clock, new AuditRecorder(clock)] as const;
    policies = new ResourceService(POLICY_KIND, ...args);
    rules = new ResourceService(SIGNING_RULE_KIND, ...args);
    witnesses = new ResourceService(WITNESS_KIND, ...args);
    clusters = new ResourceService(CLUSTER_KIND, ...args);
    services = { policies, rules, witnesses };
    for (const projectId of ['p', 'q']) await uow.stores.projects.insert({ projectId, createTime: clock.now() });
    const keys = database.committed.table(KEY_ROWS);
    const key = {
      keySpec: 'EC_P256',
      algorithm: 'EC_SIGN_P256_SHA256',
      description: '',
      primaryVersion: 1,
      createTime: clock.now(),
    } as const;
    keys.put({ ...key, projectId: 'p', keyId: 'k1', purpose: 'SIGN_VERIFY', state: 'ENABLED', updateTime: key.createTime });
    keys.put({ ...key, projectId: 'p', keyId: 'enc', purpose: 'ENCRYPT_DECRYPT', state: 'ENABLED', updateTime: key.createTime });
    keys.put({ ...key, projectId: 'p', keyId: 'off', purpose: 'SIGN_VERIFY', state: 'DISABLED', updateTime: key.createTime });
    keys.put({ ...key, projectId: 'q', keyId: 'k1', purpose: 'SIGN_VERIFY', state: 'ENABLED', updateTime: key.createTime });
    for (const id of ['w1', 'w2']) await witnesses.create(admin, P, id, { key: `${P}/keys/k1` });
    await witnesses.create(admin, 'projects/q', 'w1', { key: 'projects/q/keys/k1' });
    for (const c of ['c1', 'c9']) await clusters.create(admin, P, c, {});
    await clusters.create(admin, 'projects/q', 'c1', {});
  });

  it('clusters: a policy may only name a registered cluster (INVALID_ARGUMENT listing them); a named cluster cannot be deleted', async () => {
    const typo = await outcome(policies.create(admin, P, 'typo', { ...POLICY, cluster: 'prod-c1' }));
    expect(typo.code).to.equal('INVALID_ARGUMENT');
    expect(typo.message).to.equal(
      'policy.cluster names cluster prod-c1, which is not registered in project p; registered clusters: c1, c9 ' +
        '(or register it with POST /v1/projects/p/clusters?clusterId=… (attestd clusters create))',
    );
    await policies.create(admin, P, 'pol', POLICY);
    const moved = await outcome(policies.update(admin, `${P}/policies/pol`, { cluster: 'c2' }, ['cluster']));
    expect([moved.code, moved.message]).to.satisfy(([c, m]: string[]) => c === 'INVALID_ARGUMENT' && (m ?? '').includes('cluster c2'));
    const held = await outcome(clusters.delete(admin, `${P}/clusters/c1`));
    expect(held.code).to.equal('FAILED_PRECONDITION');
    expect(held.message).to.contain('named by 1 policy (projects/p/policies/pol)');
    await clusters.delete(admin, `${P}/clusters/c9`);
    expect((await outcome(clusters.get(admin, `${P}/clusters/c9`))).code).to.equal('NOT_FOUND');
    const created = await clusters.get(admin, `${P}/clusters/c1`);
    expect(created).to.include({ name: 'projects/p/clusters/c1', webhookMode: 'OPT_OUT', revision: '1' });
    expect(created.exemptNamespaces).to.deep.equal(['kube-system', 'attestd']);
    const optIn = await clusters.create(admin, P, 'edge', { webhookMode: 'OPT_IN', enforcedNamespaces: ['shop'] });
    expect(optIn).to.deep.include({ webhookMode: 'OPT_IN', enforcedNamespaces: ['shop'] });
    for (const [input, want] of [
      [{ webhookMode: 'SOMETIMES' }, /cluster\.webhookMode must be one of OPT_OUT, OPT_IN/],
      [{ exemptNamespaces: ['Bad'] }, /cluster\.exemptNamespaces\[0\] must be a Kubernetes namespace/],
      [{ enforcedNamespaces: 'shop' }, /cluster\.enforcedNamespaces must be a list/],
    ] as const) {
      const bad = await outcome(clusters.create(admin, P, 'bad', input));
      expect([bad.code, bad.message], JSON.stringify(input)).to.satisfy(
        ([c, m]: string[]) => c === 'INVALID_ARGUMENT' && want.test(m ?? ''),
      );
    }
    expect((await outcome(clusters.create(admin, P, 'a b', {}))).message).to.match(/clusterId must be/);
    expect((await outcome(clusters.create(viewer, P, 'x', {}))).code).to.equal('PERMISSION_DENIED');
  });

  it('create, get and list answer one message with name, etag and times; each create is audited', async () => {
    const cases: Array<{ service: 'policies' | 'rules' | 'witnesses'; id: string; input: JsonObject; want: JsonObject }> = [
      {
        service: 'policies',
        id: 'pol',
        input: POLICY,
        want: { name: `${P}/policies/pol`, enabled: false, enforcement: 'ENFORCE', requiredWitnesses: 0, note: '', revision: '1' },
      },
      {
        service: 'rules',
        id: 'rule',
        input: { ...RULE, registry: 'Registry.Example.com' },
        want: { name: `${P}/signingRules/rule`, registry: 'registry.example.com', repositories: '*', enabled: false, revision: '1' },
      },
      {
        service: 'witnesses',
        id: 'w3',
        input: { keys: [`${P}/keys/k1`], publicKeys: [{ pem: PEM, algorithm: 'ECDSA_P256_SHA256' }] },
        want: { name: `${P}/witnesses/w3`, key: `${P}/keys/k1`, note: `${P}/notes/w3`, description: '' },
      },
    ];
    for (const c of cases) {
      const s = services[c.service];
      const created = await s.create(admin, P, c.id, c.input);
      expect(created, c.service).to.include(c.want);
      expect(created.etag, c.service).to.be.a('string').with.length.above(10);
      expect(created.createTime).to.equal(created.updateTime);
      expect(await s.get(viewer, String(created.name))).to.deep.equal(created);
      expect((await s.list(viewer, P, 100, undefined)).items).to.deep.include(created);
    }
    expect(audited().slice(-3)).to.deep.equal([
      `CreatePolicy ${P}/policies/pol by alice`,
      `CreateSigningRule ${P}/signingRules/rule by alice`,
      `CreateWitness ${P}/witnesses/w3 by alice`,
    ]);
  });

  it('validation: each bad field is INVALID_ARGUMENT naming it, and nothing is written', async () => {
    const cases: Array<{ desc: string; service: 'policies' | 'rules' | 'witnesses'; id?: string; input: JsonObject; field: RegExp }> = [
      { desc: 'policy without id', service: 'policies', id: '', input: POLICY, field: /policyId is required/ },
      { desc: 'policy id with a slash', service: 'policies', id: 'a/b', input: POLICY, field: /policyId must be/ },
      { desc: 'no witnesses', service: 'policies', input: { ...POLICY, witnesses: [] }, field: /policy\.witnesses/ },
      { desc: 'witnesses not a list', service: 'policies', input: { ...POLICY, witnesses: W1 }, field: /policy\.witnesses must be a list/ },
      { desc: 'a witness that is no string', service: 'policies', input: { ...POLICY, witnesses: [7] }, field: /policy\.witnesses\[0\]/ },
      { desc: 'malformed witness', service: 'policies', input: { ...POLICY, witnesses: ['w1'] }, field: /policy\.witnesses\[0\]/ },
      {
        desc: "another project's witness",
        service: 'policies',
        input: { ...POLICY, witnesses: ['projects/q/witnesses/w1'] },
        field: /policy\.witnesses\[0\].*another project/,
      },
      { desc: 'no cluster', service: 'policies', input: { ...POLICY, cluster: '' }, field: /policy\.cluster is required/ },
      { desc: 'bad cluster', service: 'policies', input: { ...POLICY, cluster: 'c 1' }, field: /policy\.cluster must be/ },
      { desc: 'cluster not a string', service: 'policies', input: { ...POLICY, cluster: 5 }, field: /policy\.cluster must be a string/ },
      { desc: 'no namespaces', service: 'policies', input: { ...POLICY, namespaces: [] }, field: /policy\.namespaces/ },
      { desc: 'bad namespace', service: 'policies', input: { ...POLICY, namespaces: ['ok', 'Bad'] }, field: /policy\.namespaces\[1\]/ },
      { desc: 'too many namespaces', service: 'policies', input: { ...POLICY, namespaces: Array(101).fill('a') }, field: /at most 100/ },
      {
        desc: 'enabled not a bool',
        service: 'policies',
        input: { ...POLICY, enabled: 'yes' },
        field: /policy\.enabled must be true or false/,
      },
      {
        desc: 'unknown enforcement',
        service: 'policies',
        input: { ...POLICY, enforcement: 'LOUD' },
        field: /policy\.enforcement must be one of/,
      },
      {
        desc: 'requiredWitnesses too high',
        service: 'policies',
        input: { ...POLICY, requiredWitnesses: 2 },
        field: /policy\.requiredWitnesses/,
      },
      {
        desc: 'requiredWitnesses not whole',
        service: 'policies',
        input: { ...POLICY, requiredWitnesses: 0.5 },
        field: /policy\.requiredWitnesses/,
      },
      { desc: 'bad allowlist', service: 'policies', input: { ...POLICY, allowlist: ['a b'] }, field: /policy\.allowlist\[0\]/ },
      { desc: 'long note', service: 'policies', input: { ...POLICY, note: 'x'.repeat(4097) }, field: /policy\.note must be at most 4096/ },
      { desc: 'rule without registry', service: 'rules', input: { ...RULE, registry: '' }, field: /signingRule\.registry is required/ },
      { desc: 'rule with a URL', service: 'rules', input: { ...RULE, registry: 'http://r' }, field: /signingRule\.registry must be/ },
      { desc: 'rule namespace', service: 'rules', input: { ...RULE, namespace: 'Team' }, field: /signingRule\.namespace/ },
      { desc: 'rule repositories', service: 'rules', input: { ...RULE, repositories: '/x' }, field: /signingRule\.repositories/ },
      { desc: 'rule without witness', service: 'rules', input: { ...RULE, witness: '' }, field: /signingRule\.witness is required/ },
      {
        desc: "rule with another project's witness",
        service: 'rules',
        input: { ...RULE, witness: 'projects/q/witnesses/w1' },
        field: /signingRule\.witness .*another project/,
      },
      { desc: 'rule id', service: 'rules', id: '-x', input: RULE, field: /ruleId must be/ },
      { desc: 'witness without keys', service: 'witnesses', input: { description: 'd' }, field: /witness needs a signing key/ },
      { desc: 'malformed key', service: 'witnesses', input: { key: 'k1' }, field: /witness\.key must look like/ },
      {
        desc: "another project's key",
        service: 'witnesses',
        input: { keys: ['projects/q/keys/k1'] },
        field: /witness\.keys\[0\].*another project/,
      },
      {
        desc: 'private PEM',
        service: 'witnesses',
        input: { publicKeys: [{ pem: '-----BEGIN PRIVATE KEY-----', algorithm: 'x' }] },
        field: /publicKeys\[0\]\.pem must be a public key/,
      },
      {
        desc: 'PEM without algorithm',
        service: 'witnesses',
        input: { publicKeys: [{ pem: PEM }] },
        field: /witness\.publicKeys\[0\]\.algorithm is required/,
      },
      {
        desc: 'long description',
        service: 'witnesses',
        input: { key: `${P}/keys/k1`, description: 'd'.repeat(1025) },
        field: /witness\.description/,
      },
      { desc: 'witness id with a colon', service: 'witnesses', id: 'a:b', input: { key: `${P}/keys/k1` }, field: /witnessId/ },
    ];
    const before = audited().length;
    for (const [i, c] of cases.entries()) {
      const id = c.id ?? `bad-${i}`;
      const got = await outcome(services[c.service].create(admin, P, id, c.input));
      expect(got.code, c.desc).to.equal('INVALID_ARGUMENT');
      expect(got.message, c.desc).to.match(c.field);
      if (c.id === undefined)
        expect((await outcome(services[c.service].get(admin, `${P}/${services[c.service].kind.plural}/${id}`))).code, c.desc).to.equal(
          'NOT_FOUND',
        );
    }
    expect(audited().length).to.equal(before);
    expect(
      database.committed
        .table(NOTE_ROWS)
        .rows()
        .map((n) => n.noteId)
        .sort(),
    ).to.deep.equal(['w1', 'w1', 'w2']);
  });

  it('reference checks: what a resource names must exist and fit, or nothing is written', async () => {
    const cases: Array<{ desc: string; service: 'policies' | 'rules' | 'witnesses'; input: JsonObject; want: string; message: RegExp }> = [
      {
        desc: 'missing witnesses',
        service: 'policies',
        input: { ...POLICY, witnesses: [W1, `${P}/witnesses/x`, `${P}/witnesses/y`] },
        want: 'NOT_FOUND',
        message: /witnesses projects\/p\/witnesses\/x, projects\/p\/witnesses\/y do not exist/,
      },
      {
        desc: 'missing rule witness',
        service: 'rules',
        input: { ...RULE, witness: `${P}/witnesses/x` },
        want: 'NOT_FOUND',
        message: /witness projects\/p\/witnesses\/x does not exist/,
      },
      {
        desc: 'missing key',
        service: 'witnesses',
        input: { key: `${P}/keys/nope` },
        want: 'NOT_FOUND',
        message: /key projects\/p\/keys\/nope does not exist/,
      },
      {
        desc: 'key that encrypts',
        service: 'witnesses',
        input: { keys: [`${P}/keys/k1`, `${P}/keys/enc`] },
        want: 'FAILED_PRECONDITION',
        message: /ENCRYPT_DECRYPT and cannot sign/,
      },
      {
        desc: 'disabled key',
        service: 'witnesses',
        input: { key: `${P}/keys/off` },
        want: 'FAILED_PRECONDITION',
        message: /DISABLED and cannot sign/,
      },
    ];
    for (const [i, c] of cases.entries()) {
      const got = await outcome(services[c.service].create(admin, P, `ref-${i}`, c.input));
      expect([got.code, got.message], c.desc).to.satisfy(([code, message]: [string, string]) => code === c.want && c.message.test(message));
      expect((await outcome(services[c.service].get(admin, `${P}/${services[c.service].kind.plural}/ref-${i}`))).code).to.equal(
        'NOT_FOUND',
      );
    }
    expect(database.committed.table(NOTE_ROWS).get(JSON.stringify(['p', 'ref-2']))).to.equal(undefined);
    expect(
      (await outcome(policies.create(root, 'projects/nowhere', 'x', { ...POLICY, witnesses: ['projects/nowhere/witnesses/w1'] }))).message,
    ).to.match(/project projects\/nowhere does not exist/);
    expect((await outcome(policies.create(admin, P, 'pol', POLICY))).code).to.equal('OK');
    expect((await outcome(policies.create(admin, P, 'pol', POLICY))).code).to.equal('ALREADY_EXISTS');
  });

  it('update: the mask decides what changes, the revision and etag move, server-set fields refuse a mask', async () => {
    const created = await policies.create(admin, P, 'pol', { ...POLICY, note: 'keep' });
    const name = `${P}/policies/pol`;
    const masked = await policies.update(admin, name, { enabled: true, note: 'not in mask', cluster: 'c9' }, ['enabled']);
    expect(masked).to.include({ enabled: true, note: 'keep', cluster: 'c1', revision: '2', createTime: created.createTime });
    expect(masked.etag).to.not.equal(created.etag);
    expect(String(masked.updateTime) > String(created.updateTime)).to.equal(true);
    const implied = await policies.update(
      admin,
      name,
      { witnesses: [W1, W2], requiredWitnesses: 1, etag: masked.etag, revision: '77' },
      undefined,
    );
    expect(implied).to.include({ requiredWitnesses: 1, enabled: true, revision: '3' });
    expect(implied.witnesses).to.deep.equal([W1, W2]);
    const cleared = await policies.update(admin, name, {}, ['note', 'required_witnesses']);
    expect(cleared).to.include({ note: '', requiredWitnesses: 0, revision: '4' });
    const refused: Array<{ desc: string; patch: JsonObject; mask?: string[]; want: RegExp }> = [
      { desc: 'revision in the mask', patch: { revision: '9' }, mask: ['revision'], want: /"revision" cannot be changed/ },
      { desc: 'etag in the mask', patch: { etag: 'x' }, mask: ['etag'], want: /"etag" cannot be changed/ },
      { desc: 'name in the mask', patch: {}, mask: ['name'], want: /"name" cannot be changed/ },
      { desc: 'unknown field', patch: {}, mask: ['colour'], want: /unknown field "colour"/ },
      { desc: 'invalid result', patch: { namespaces: ['Bad'] }, want: /policy\.namespaces\[0\]/ },
      { desc: 'cleared required field', patch: {}, mask: ['cluster'], want: /policy\.cluster is required/ },
    ];
    for (const c of refused) {
      const got = await outcome(policies.update(admin, name, c.patch, c.mask));
      expect(got.code, c.desc).to.equal('INVALID_ARGUMENT');
      expect(got.message, c.desc).to.match(c.want);
    }
    expect((await outcome(policies.update(admin, name, { witnesses: [`${P}/witnesses/x`] }, undefined))).code).to.equal('NOT_FOUND');
    expect((await outcome(policies.update(admin, `${P}/policies/ghost`, { enabled: true }, undefined))).code).to.equal('NOT_FOUND');
    expect(await policies.get(admin, name)).to.deep.equal(cleared);
    expect(audited().filter((a) => a.startsWith('UpdatePolicy')).length).to.equal(3);
  });

  it('witness updates: `key` goes first, `keys` alone replaces the list, no keys at all is refused', async () => {
    const name = `${P}/witnesses/w2`;
    database.committed.table(KEY_ROWS).put({ ...database.committed.table(KEY_ROWS).get(JSON.stringify(['p', 'k1']))!, keyId: 'k2' });
    const first = await witnesses.update(admin, name, { key: `${P}/keys/k2` }, ['key']);
    expect(first).to.include({ key: `${P}/keys/k2` });
    expect(first.keys).to.deep.equal([`${P}/keys/k2`, `${P}/keys/k1`]);
    const replaced = await witnesses.update(admin, name, { keys: [`${P}/keys/k1`] }, ['keys']);
    expect(replaced.keys).to.deep.equal([`${P}/keys/k1`]);
    const none = await outcome(witnesses.update(admin, name, { keys: [] }, ['keys']));
    expect(none.message).to.match(/would be left without keys/);
    expect((await outcome(witnesses.update(admin, name, { note: 'x' }, ['note']))).message).to.match(/"note" cannot be changed/);
  });

  it('etags: a stale one is ABORTED and changes nothing; the current one or none goes through', async () => {
    for (const s of [policies, rules] as ResourceService<unknown>[]) {
      const created = await s.create(admin, P, 'e', s === policies ? POLICY : RULE);
      const name = String(created.name);
      const updated = await s.update(admin, name, { enabled: true, etag: created.etag }, undefined);
      const stale = await outcome(s.update(admin, name, { enabled: false, etag: created.etag }, undefined));
      expect(stale.code, name).to.equal('ABORTED');
      expect(stale.message).to.match(/has changed since etag .* get it again/);
      expect(await s.get(admin, name)).to.deep.equal(updated);
      expect((await outcome(s.delete(admin, name, { etag: String(created.etag) }))).code).to.equal('ABORTED');
      expect((await outcome(s.delete(admin, name, { etag: 'not-an-etag' }))).code).to.equal('ABORTED');
      const unconditional = await s.update(admin, name, { enabled: false, etag: '' }, undefined);
      expect(unconditional.revision).to.equal('3');
      await s.delete(admin, name, { etag: String(unconditional.etag) });
      expect((await outcome(s.get(admin, name))).code).to.equal('NOT_FOUND');
      const again = await s.create(admin, P, 'e', s === policies ? POLICY : RULE);
      expect(again.etag, 'a resource created again under its old name').to.not.equal(created.etag);
      expect((await outcome(s.delete(admin, name, { etag: String(created.etag) }))).code).to.equal('ABORTED');
      await s.delete(admin, name);
    }
    const aborted = audited().filter((a) => a.includes(' projects/p/policies/e ') || a.includes(' projects/p/signingRules/e '));
    expect(aborted.map((a) => a.split(' ')[0])).to.deep.equal([
      'CreatePolicy',
      'UpdatePolicy',
      'UpdatePolicy',
      'DeletePolicy',
      'CreatePolicy',
      'DeletePolicy',
      'CreateSigningRule',
      'UpdateSigningRule',
      'UpdateSigningRule',
      'DeleteSigningRule',
      'CreateSigningRule',
      'DeleteSigningRule',
    ]);
  });

  it('witness deletes: refused while used, then refused with attestations unless forced; the note goes with it', async () => {
    await policies.create(admin, P, 'uses-w1', POLICY);
    await rules.create(admin, P, 'uses-w1', RULE);
    const used = await outcome(witnesses.delete(admin, W1, { force: true }));
    expect(used.code).to.equal('FAILED_PRECONDITION');
    expect(used.message).to.include(`used by ${P}/policies/uses-w1, ${P}/signingRules/uses-w1`);
    await policies.delete(admin, `${P}/policies/uses-w1`);
    await rules.delete(admin, `${P}/signingRules/uses-w1`);
    database.committed.table(OCCURRENCE_ROWS).put({
      projectId: 'p',
      occurrenceId: 'o1',
      resourceUri: 'https://r/x@sha256:' + 'a'.repeat(64),
      noteProjectId: 'p',
      noteId: 'w1',
      kind: 'ATTESTATION',
      createTime: '2026-03-01T00:00:00.000Z',
      updateTime: '2026-03-01T00:00:00.000Z',
      body: {},
    });
    const attested = await outcome(witnesses.delete(admin, W1));
    expect(attested).to.deep.equal({
      code: 'FAILED_PRECONDITION',
      message: `witness ${W1} has 1 attestation(s); pass force=true to delete them with it`,
    });
    expect(database.committed.table(NOTE_ROWS).get(JSON.stringify(['p', 'w1']))).to.not.equal(undefined);
    await witnesses.delete(admin, W1, { force: true });
    expect(database.committed.table(NOTE_ROWS).get(JSON.stringify(['p', 'w1']))).to.equal(undefined);
    expect(database.committed.table(OCCURRENCE_ROWS).rows()).to.deep.equal([]);
    expect((await outcome(witnesses.delete(admin, W1))).code).to.equal('NOT_FOUND');
  });

  it('witness creates: the note comes with it; an id another note holds is ALREADY_EXISTS and writes nothing', async () => {
    const w = await witnesses.create(admin, P, 'w3', { key: `${P}/keys/k1`, description: 'QA' });
    expect(await uow.stores.grafeas.getNote({ projectId: 'p', noteId: 'w3' })).to.include({
      name: `${P}/notes/w3`,
      kind: 'ATTESTATION',
      longDescription: 'QA',
      createTime: w.createTime,
    });
    await uow.stores.grafeas.insertNotes([
      {
        projectId: 'p',
        noteId: 'taken',
        kind: 'ATTESTATION',
        createTime: '2026-01-01T00:00:00.000Z',
        updateTime: '2026-01-01T00:00:00.000Z',
        body: {},
      },
    ]);
    const taken = await outcome(witnesses.create(admin, P, 'taken', { key: `${P}/keys/k1` }));
    expect(taken.code).to.equal('ALREADY_EXISTS');
    expect(taken.message).to.match(/note projects\/p\/notes\/taken already exists/);
    expect((await outcome(witnesses.get(admin, `${P}/witnesses/taken`))).code).to.equal('NOT_FOUND');
  });

  it('lists page by page in id order', async () => {
    for (const id of ['c', 'a', 'b']) await policies.create(admin, P, id, POLICY);
    const first = await policies.list(viewer, P, 2, undefined);
    expect(first.items.map((p) => p.name)).to.deep.equal([`${P}/policies/a`, `${P}/policies/b`]);
    const second = await policies.list(viewer, P, 2, first.nextPageToken);
    expect(second).to.deep.equal({ items: [await policies.get(viewer, `${P}/policies/c`)], nextPageToken: '' });
  });

  it('permissions: readers read, only admins write, on their own projects; no caller is UNAUTHENTICATED', async () => {
    await policies.create(admin, P, 'pol', POLICY);
    const name = `${P}/policies/pol`;
    const cases: Array<{ ctx: RequestContext; call: () => Promise<unknown>; want: string }> = [
      { ctx: viewer, call: () => policies.get(viewer, name), want: 'OK' },
      { ctx: viewer, call: () => policies.list(viewer, P, 10, undefined), want: 'OK' },
      { ctx: viewer, call: () => policies.create(viewer, P, 'x', POLICY), want: 'PERMISSION_DENIED' },
      { ctx: viewer, call: () => policies.update(viewer, name, { enabled: true }, undefined), want: 'PERMISSION_DENIED' },
      { ctx: viewer, call: () => policies.delete(viewer, name), want: 'PERMISSION_DENIED' },
      { ctx: stranger, call: () => policies.get(stranger, name), want: 'PERMISSION_DENIED' },
      { ctx: stranger, call: () => policies.get(stranger, `${P}/policies/nothing`), want: 'PERMISSION_DENIED' },
      { ctx: anonymous, call: () => policies.list(anonymous, P, 10, undefined), want: 'UNAUTHENTICATED' },
      { ctx: admin, call: () => policies.get(admin, 'projects/p/rules/pol'), want: 'INVALID_ARGUMENT' },
    ];
    for (const c of cases) expect((await outcome(c.call())).code, `${c.ctx.principal?.subject ?? 'nobody'}`).to.equal(c.want);
    expect(await policies.get(admin, name)).to.include({ revision: '1' });
  });
});
