import { expect } from 'chai';
import { AuditRecorder } from '../../src/audit/audit-recorder';
import { Access } from '../../src/auth/access';
import type { Clock } from '../../src/domain/clock';
import type { JsonObject } from '../../src/domain/message-types';
import type { ImportRuleSpec } from '../../src/domain/resources/import-rule-spec';
import type { WitnessSpec } from '../../src/domain/resources/witness-spec';
import type { RequestContext } from '../../src/domain/request-context';
import { IMPORT_RULE_KIND } from '../../src/registry/import-rule-kind';
import { ResourceService } from '../../src/resources/resource-service';
import { WITNESS_KIND } from '../../src/witnesses/witness-kind';
import { AUDIT_PENDING, KEYS as KEY_ROWS } from '../../src/store/memory/memory-schema';
import { MemoryDatabase, MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';

// Import rules as a kind of the resource kit, on the memory stores: the contract body, defaults, validation per
// field, witness references, masked updates and deletes, and the witness that cannot go while a rule uses it.

const P = 'projects/p';
const W1 = `${P}/witnesses/w1`;
const W2 = `${P}/witnesses/w2`;
const admin: RequestContext = { requestId: 'r1', principal: { subject: 'alice', roles: { p: ['admin'] } }, transport: 'internal' };
const viewer: RequestContext = { requestId: 'r2', principal: { subject: 'vic', roles: { p: ['viewer'] } }, transport: 'internal' };
/** The body the contract names. */
const RULE = { registry: '127.0.0.1:5000', namespace: 'team', repositories: '*', witnesses: [W1], plainHttp: true, enabled: true };

function tickingClock(): Clock {
  let t = Date.parse('2026-03-01T00:00:00.000Z');
  return { now: () => new Date((t += 1000)).toISOString() };
}

async function codeOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: 'OK', message: '' };
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (!e.code) throw err;
    return { code: e.code, message: e.message };
  }
}

describe('import rules: the resource kit service on memory stores', () => {
  let database: MemoryDatabase;
  let rules: ResourceService<ImportRuleSpec>;
  let witnesses: ResourceService<WitnessSpec>;

  beforeEach(async () => {
    database = new MemoryDatabase();
    const uow = new MemoryUnitOfWork(database);
    const clock = tickingClock();
    const args = [uow, new Access(true), clock, new AuditRecorder(clock)] as const;
    rules = new ResourceService(IMPORT_RULE_KIND, ...args);
    witnesses = new ResourceService(WITNESS_KIND, ...args);
    for (const projectId of ['p', 'q']) await uow.stores.projects.insert({ projectId, createTime: clock.now() });
    const now = clock.now();
    database.committed.table(KEY_ROWS).put({
      projectId: 'p',
      keyId: 'k1',
      keySpec: 'EC_P256',
      algorithm: 'EC_SIGN_P256_SHA256',
      description: '',
      primaryVersion: 1,
      purpose: 'SIGN_VERIFY',
      state: 'ENABLED',
      createTime: now,
      updateTime: now,
    });
    for (const id of ['w1', 'w2']) await witnesses.create(admin, P, id, { key: `${P}/keys/k1` });
  });

  it('creates the contract body, shows it with defaults, lists, patches and deletes it; each write is audited', async () => {
    const created = await rules.create(admin, P, 'team-cosign', { ...RULE, registry: '127.0.0.1:5000' });
    expect(created).to.deep.include({
      name: `${P}/importRules/team-cosign`,
      registry: '127.0.0.1:5000',
      namespace: 'team',
      repositories: '*',
      witnesses: [W1],
      plainHttp: true,
      enabled: true,
      description: '',
      revision: '1',
    });
    expect(await rules.get(viewer, `${P}/importRules/team-cosign`)).to.deep.equal(created);
    const minimal = await rules.create(admin, P, 'min', { registry: 'Registry.Example.com', namespace: 'ns', witnesses: [W2, W2] });
    expect(minimal).to.deep.include({
      registry: 'registry.example.com',
      repositories: '*',
      witnesses: [W2],
      plainHttp: false,
      enabled: false,
    });
    expect((await rules.list(viewer, P, 100, undefined)).items.map((r) => r.name)).to.deep.equal([
      `${P}/importRules/min`,
      `${P}/importRules/team-cosign`,
    ]);
    const patched = await rules.update(admin, `${P}/importRules/min`, { witnesses: [W1, W2], enabled: true }, undefined);
    expect(patched).to.deep.include({ witnesses: [W1, W2], enabled: true, revision: '2', registry: 'registry.example.com' });
    const stale = await codeOf(rules.update(admin, `${P}/importRules/min`, { enabled: false, etag: String(minimal.etag) }, undefined));
    expect(stale.code).to.equal('ABORTED');
    await rules.delete(admin, `${P}/importRules/min`);
    expect((await codeOf(rules.get(viewer, `${P}/importRules/min`))).code).to.equal('NOT_FOUND');
    const audited = database.committed
      .table(AUDIT_PENDING)
      .rows()
      .map((e) => `${e.method} ${e.resource}`)
      .filter((m) => m.includes('ImportRule'));
    expect(audited).to.deep.equal([
      `CreateImportRule ${P}/importRules/team-cosign`,
      `CreateImportRule ${P}/importRules/min`,
      `UpdateImportRule ${P}/importRules/min`,
      `DeleteImportRule ${P}/importRules/min`,
    ]);
  });

  it('validation: each bad field is INVALID_ARGUMENT naming it, missing witnesses NOT_FOUND, and nothing is written', async () => {
    const cases: Array<{ desc: string; input: JsonObject; code?: string; message: RegExp }> = [
      { desc: 'no registry', input: { ...RULE, registry: '' }, message: /importRule\.registry is required/ },
      { desc: 'a URL', input: { ...RULE, registry: 'http://r:5000' }, message: /importRule\.registry must be a registry host/ },
      { desc: 'no namespace', input: { ...RULE, namespace: '' }, message: /importRule\.namespace is required/ },
      { desc: 'bad namespace', input: { ...RULE, namespace: 'Team' }, message: /importRule\.namespace "Team" must be/ },
      { desc: 'bad glob', input: { ...RULE, repositories: '/x' }, message: /importRule\.repositories "\/x" must be a repository glob/ },
      { desc: 'no witnesses', input: { ...RULE, witnesses: [] }, message: /importRule\.witnesses must name at least one witness/ },
      { desc: 'witnesses as text', input: { ...RULE, witnesses: W1 }, message: /importRule\.witnesses must be a list/ },
      { desc: 'malformed witness', input: { ...RULE, witnesses: ['w1'] }, message: /importRule\.witnesses\[0\]/ },
      {
        desc: 'foreign witness',
        input: { ...RULE, witnesses: [W1, 'projects/q/witnesses/w1'] },
        message: /importRule\.witnesses\[1\] projects\/q\/witnesses\/w1 is in another project/,
      },
      { desc: 'plainHttp not a bool', input: { ...RULE, plainHttp: 'yes' }, message: /importRule\.plainHttp must be true or false/ },
      {
        desc: 'missing witness',
        input: { ...RULE, witnesses: [W1, `${P}/witnesses/ghost`] },
        code: 'NOT_FOUND',
        message: /ghost does not exist/,
      },
    ];
    for (const c of cases) {
      const got = await codeOf(rules.create(admin, P, 'bad', c.input));
      expect(got.code, c.desc).to.equal(c.code ?? 'INVALID_ARGUMENT');
      expect(got.message, c.desc).to.match(c.message);
    }
    expect((await rules.list(viewer, P, 100, undefined)).items).to.deep.equal([]);
    expect((await codeOf(rules.create(viewer, P, 'r', RULE))).code).to.equal('PERMISSION_DENIED');
  });

  it('a witness used by an import rule cannot be deleted until the rule is gone', async () => {
    await rules.create(admin, P, 'uses', { ...RULE, witnesses: [W1, W2] });
    const refused = await codeOf(witnesses.delete(admin, W2));
    expect(refused.code).to.equal('FAILED_PRECONDITION');
    expect(refused.message).to.include(`used by ${P}/importRules/uses`);
    await rules.update(admin, `${P}/importRules/uses`, { witnesses: [W1] }, undefined);
    await witnesses.delete(admin, W2);
    expect((await codeOf(witnesses.get(viewer, W2))).code).to.equal('NOT_FOUND');
  });
});
