import { expect } from 'chai';
import type { ClusterRecord } from '../../src/domain/resources/cluster-spec';
import type { PolicyRecord, PolicySpec } from '../../src/domain/resources/policy-spec';
import type { SigningRuleRecord } from '../../src/domain/resources/signing-rule-spec';
import type { ImportRuleRecord } from '../../src/domain/resources/import-rule-spec';
import type { WitnessRecord } from '../../src/domain/resources/witness-spec';
import type { UnitOfWork } from '../../src/domain/stores/unit-of-work';

// The resource kit's store contract: what every ResourceStore (witnesses, policies, signing rules) and their own
// queries must do, whatever the backend. Registered per backend by a runner (test/contract/*.test.ts).

/** A backend to run the contract on: a name and a fresh database's unit of work (test/contract/backends.ts's StoreBackend fits). */
export interface ResourceContractBackend {
  readonly name: string;
  open(): Promise<{ unitOfWork(): UnitOfWork; close(): Promise<void> }>;
}

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';

const witness = (projectId: string, id: string, extra: Partial<WitnessRecord['spec']> = {}): WitnessRecord => ({
  projectId,
  id,
  spec: {
    description: `witness ${id}`,
    keys: [`projects/${projectId}/keys/k1`],
    publicKeys: [{ keyId: 'ext', pem: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n', algorithm: 'ECDSA_P256_SHA256' }],
    notes: [],
    acceptRawEnvelope: false,
    ...extra,
  },
  revision: 1,
  createTime: T0,
  updateTime: T0,
});

const policy = (projectId: string, id: string, extra: Partial<PolicySpec> = {}): PolicyRecord => ({
  projectId,
  id,
  spec: {
    witnesses: [`projects/${projectId}/witnesses/w1`],
    cluster: 'c1',
    namespaces: ['default', 'team-a'],
    enabled: true,
    note: 'n',
    enforcement: 'DRY_RUN',
    requiredWitnesses: 1,
    allowlist: ['registry.k8s.io/pause*'],
    breakglassAllowed: true,
    attestations: [],
    ...extra,
  },
  revision: 1,
  createTime: T0,
  updateTime: T0,
});

const rule = (projectId: string, id: string, extra: Partial<SigningRuleRecord['spec']> = {}): SigningRuleRecord => ({
  projectId,
  id,
  spec: {
    registry: '127.0.0.1:5000',
    namespace: 'team',
    repositories: '*',
    witness: `projects/${projectId}/witnesses/w1`,
    enabled: true,
    description: 'd',
    ...extra,
  },
  revision: 1,
  createTime: T0,
  updateTime: T0,
});

const cluster = (projectId: string, id: string, extra: Partial<ClusterRecord['spec']> = {}): ClusterRecord => ({
  projectId,
  id,
  spec: { description: `cluster ${id}`, webhookMode: 'OPT_OUT', exemptNamespaces: ['kube-system'], enforcedNamespaces: [], ...extra },
  revision: 1,
  createTime: T0,
  updateTime: T0,
});

const importRule = (projectId: string, id: string, extra: Partial<ImportRuleRecord['spec']> = {}): ImportRuleRecord => ({
  projectId,
  id,
  spec: {
    registry: '127.0.0.1:5000',
    namespace: 'team',
    repositories: 'apps/**',
    witnesses: [`projects/${projectId}/witnesses/w1`, `projects/${projectId}/witnesses/w3`],
    plainHttp: true,
    enabled: true,
    description: 'd',
    ...extra,
  },
  revision: 1,
  createTime: T0,
  updateTime: T0,
});

const note = (projectId: string, noteId: string) => ({
  projectId,
  noteId,
  kind: 'ATTESTATION',
  createTime: T0,
  updateTime: T0,
  body: { name: `projects/${projectId}/notes/${noteId}`, kind: 'ATTESTATION' },
});

/** Registers the resource store contract for one backend. */
export function resourceStoreContract(backend: ResourceContractBackend): void {
  describe(`resource store contract (${backend.name})`, function () {
    this.timeout(60000);
    let db: { unitOfWork(): UnitOfWork; close(): Promise<void> } | undefined;
    let uow: UnitOfWork;
    const s = () => uow.stores;
    /** What a refused write means for a client, as the unit of work classifies it. */
    const refusal = async (write: Promise<unknown>): Promise<string | undefined> => {
      const err = await write.then(
        () => expect.fail('the write was accepted'),
        (e: unknown) => e,
      );
      return uow.classifyError(err)?.code;
    };

    before(async function () {
      this.timeout(120000);
      db = await backend.open();
      uow = db.unitOfWork();
      for (const p of ['r1', 'r2']) {
        expect(await s().projects.insert({ projectId: p, createTime: T0 })).to.equal(true);
        expect(await s().grafeas.insertNotes(['w1', 'w2', 'w3', 'spare'].map((n) => note(p, n)))).to.deep.equal([]);
      }
      for (const w of ['w1', 'w2', 'w3']) expect(await s().witnesses.insert(witness('r1', w))).to.equal(true);
      expect(await s().witnesses.insert(witness('r2', 'w1'))).to.equal(true);
      for (const c of ['c1', 'c2', 'c9']) expect(await s().clusters.insert(cluster('r1', c))).to.equal(true);
      expect(await s().clusters.insert(cluster('r2', 'c1', { webhookMode: 'OPT_IN', enforcedNamespaces: ['default'] }))).to.equal(true);
    });

    it('clusters: read back as written; a policy may only name a registered one, which then stays until the policy goes', async () => {
      expect(await s().clusters.get({ projectId: 'r2', id: 'c1' })).to.deep.equal(
        cluster('r2', 'c1', { webhookMode: 'OPT_IN', enforcedNamespaces: ['default'] }),
      );
      expect(await s().clusters.insert(cluster('r1', 'c1'))).to.equal(false);
      expect(await s().clusters.ids('r1', 10)).to.deep.equal(['c1', 'c2', 'c9']);
      expect(await s().clusters.ids('r1', 2)).to.deep.equal(['c1', 'c2']);
      expect(await refusal(s().policies.insert(policy('r1', 'p-nowhere', { cluster: 'ghost' })))).to.equal('FAILED_PRECONDITION');
      expect(await s().policies.get({ projectId: 'r1', id: 'p-nowhere' })).to.equal(undefined);
      expect(await s().clusters.insert(cluster('r1', 'c-tmp'))).to.equal(true);
      const report = {
        projectId: 'r1',
        clusterId: 'c-tmp',
        version: '1.0',
        mode: 'remote' as const,
        firstSeen: T0,
        lastSeen: T0,
        decisionsServed: 0,
      };
      await s().clusters.reportIn({ ...report, adapter: 'pod-a' });
      await s().clusters.reportIn({ ...report, adapter: 'pod-b', lastSeen: T1, decisionsServed: 5 });
      await s().clusters.reportIn({ ...report, adapter: 'pod-a', version: '1.1', firstSeen: T1, lastSeen: T1, decisionsServed: 7 });
      expect(await s().clusters.adapters({ projectId: 'r1', id: 'c-tmp' }, 10)).to.deep.equal([
        { ...report, adapter: 'pod-a', version: '1.1', firstSeen: T0, lastSeen: T1, decisionsServed: 7 },
        { ...report, adapter: 'pod-b', lastSeen: T1, decisionsServed: 5 },
      ]);
      expect(await s().clusters.adapters({ projectId: 'r1', id: 'c-tmp' }, 1)).to.have.length(1);
      expect(await refusal(s().clusters.reportIn({ ...report, clusterId: 'ghost', adapter: 'pod-a' }))).to.equal('FAILED_PRECONDITION');
      expect(await s().policies.insert(policy('r1', 'p-tmp', { cluster: 'c-tmp' }))).to.equal(true);
      expect(await s().clusters.users({ projectId: 'r1', id: 'c-tmp' })).to.deep.equal(['projects/r1/policies/p-tmp']);
      expect(await refusal(s().clusters.delete({ projectId: 'r1', id: 'c-tmp' }))).to.equal('FAILED_PRECONDITION');
      expect(await s().policies.delete({ projectId: 'r1', id: 'p-tmp' })).to.equal(true);
      expect(await s().clusters.users({ projectId: 'r1', id: 'c-tmp' })).to.deep.equal([]);
      expect(await s().clusters.delete({ projectId: 'r1', id: 'c-tmp' })).to.equal(true);
      expect(await s().clusters.get({ projectId: 'r1', id: 'c-tmp' })).to.equal(undefined);
      expect(await s().clusters.adapters({ projectId: 'r1', id: 'c-tmp' }, 10), 'reports go with their cluster').to.deep.equal([]);
    });
    after(async () => db?.close());

    it('inserts once and reads back the record as written, per project', async () => {
      expect(await s().witnesses.get({ projectId: 'r1', id: 'w1' })).to.deep.equal(witness('r1', 'w1'));
      expect(await s().witnesses.insert(witness('r1', 'w1', { description: 'again' }))).to.equal(false);
      expect((await s().witnesses.get({ projectId: 'r1', id: 'w1' }))?.spec.description).to.equal('witness w1');
      expect(await s().witnesses.get({ projectId: 'r2', id: 'w2' })).to.equal(undefined);
      // Extra notes and the raw-envelope switch are kept as written, and change with an update.
      const chains = witness('r2', 'spare', { notes: ['projects/r2/notes/w2', 'projects/r2/notes/w1'], acceptRawEnvelope: true });
      expect(await s().witnesses.insert(chains)).to.equal(true);
      expect(await s().witnesses.get({ projectId: 'r2', id: 'spare' })).to.deep.equal(chains);
      const narrowed = { ...chains, spec: { ...chains.spec, notes: ['projects/r2/notes/w3'], acceptRawEnvelope: false }, revision: 2 };
      await s().witnesses.update(narrowed);
      expect(await s().witnesses.get({ projectId: 'r2', id: 'spare' })).to.deep.equal(narrowed);
      expect(await s().witnesses.delete({ projectId: 'r2', id: 'spare' })).to.equal(true);
      expect(await s().policies.insert(policy('r1', 'p1'))).to.equal(true);
      expect(await s().policies.get({ projectId: 'r1', id: 'p1' })).to.deep.equal(policy('r1', 'p1'));
      expect(await s().signingRules.insert(rule('r1', 'sr1'))).to.equal(true);
      expect(await s().signingRules.get({ projectId: 'r1', id: 'sr1' })).to.deep.equal(rule('r1', 'sr1'));
    });

    it('refuses what its references do not allow: a missing project, note or witness', async () => {
      expect(await refusal(s().witnesses.insert(witness('nowhere', 'w1')))).to.equal('FAILED_PRECONDITION');
      expect(await refusal(s().witnesses.insert(witness('r1', 'no-note')))).to.equal('FAILED_PRECONDITION');
      const ghost = { witnesses: ['projects/r1/witnesses/w1', 'projects/r1/witnesses/ghost'] };
      expect(await refusal(s().policies.insert(policy('r1', 'p-ghost', ghost)))).to.equal('FAILED_PRECONDITION');
      expect(await refusal(s().signingRules.insert(rule('r1', 'sr-ghost', { witness: 'projects/r1/witnesses/ghost' })))).to.equal(
        'FAILED_PRECONDITION',
      );
      expect(await s().policies.get({ projectId: 'r1', id: 'p-ghost' })).to.equal(undefined);
      expect(await s().witnesses.get({ projectId: 'r1', id: 'no-note' })).to.equal(undefined);
    });

    it('refuses NUL in text as INVALID_ARGUMENT', async () => {
      expect(await refusal(s().witnesses.insert(witness('r1', 'spare', { description: 'a\u0000b' })))).to.equal('INVALID_ARGUMENT');
      expect(await s().witnesses.get({ projectId: 'r1', id: 'spare' })).to.equal(undefined);
    });

    it('reads several at once, skipping names that do not exist', async () => {
      const got = await s().witnesses.getMany([
        { projectId: 'r1', id: 'w2' },
        { projectId: 'r2', id: 'w1' },
        { projectId: 'r1', id: 'ghost' },
        { projectId: 'r1', id: 'w2' },
      ]);
      expect(got.map((w) => `${w.projectId}/${w.id}`).sort()).to.deep.equal(['r1/w2', 'r2/w1']);
      expect(await s().witnesses.getMany([])).to.deep.equal([]);
    });

    it("lists a project's resources in id order, page by page, with tokens bound to the list", async () => {
      const first = await s().witnesses.list('r1', 2, undefined);
      expect(first.items.map((w) => w.id)).to.deep.equal(['w1', 'w2']);
      expect(first.nextPageToken).to.not.equal('');
      const second = await s().witnesses.list('r1', 2, first.nextPageToken);
      expect(second.items.map((w) => w.id)).to.deep.equal(['w3']);
      expect(second.nextPageToken).to.equal('');
      expect((await s().witnesses.list('r1', 3, undefined)).nextPageToken).to.equal('');
      expect((await s().witnesses.list('r2', 10, '')).items.map((w) => w.id)).to.deep.equal(['w1']);
      const foreign = await s()
        .witnesses.list('r2', 2, first.nextPageToken)
        .catch((e: Error & { code?: string }) => e);
      expect((foreign as { code?: string }).code).to.equal('INVALID_ARGUMENT');
      const otherKind = await s()
        .policies.list('r1', 2, first.nextPageToken)
        .catch((e: Error & { code?: string }) => e);
      expect((otherKind as { code?: string }).code).to.equal('INVALID_ARGUMENT');
    });

    it('updates in place (spec, revision, update time) and leaves a missing resource missing', async () => {
      const changed: PolicyRecord = {
        ...policy('r1', 'p1', { witnesses: ['projects/r1/witnesses/w2', 'projects/r1/witnesses/w3'], enabled: false, cluster: 'c2' }),
        revision: 2,
        updateTime: T1,
      };
      await s().policies.update(changed);
      expect(await s().policies.get({ projectId: 'r1', id: 'p1' })).to.deep.equal(changed);
      expect(await s().witnesses.users({ projectId: 'r1', id: 'w1' })).to.deep.equal(['projects/r1/signingRules/sr1']);
      expect(await s().witnesses.users({ projectId: 'r1', id: 'w3' })).to.deep.equal(['projects/r1/policies/p1']);
      await s().policies.update({ ...policy('r1', 'never'), revision: 2 });
      expect(await s().policies.get({ projectId: 'r1', id: 'never' })).to.equal(undefined);
      const ghost = { ...changed, spec: { ...changed.spec, witnesses: ['projects/r1/witnesses/ghost'] } };
      expect(await refusal(s().policies.update(ghost))).to.equal('FAILED_PRECONDITION');
      await s().policies.update(policy('r1', 'p1'));
      expect(await s().policies.get({ projectId: 'r1', id: 'p1' })).to.deep.equal(policy('r1', 'p1'));
    });

    it("answers each kind's own queries: enabled policies of a namespace, enabled rules, a witness's users", async () => {
      await s().policies.insert(policy('r1', 'p0', { namespaces: ['team-a'] }));
      await s().policies.insert(policy('r1', 'p2', { enabled: false }));
      await s().policies.insert(policy('r1', 'p3', { cluster: 'c9' }));
      await s().policies.insert(policy('r2', 'p1'));
      expect((await s().policies.enabledFor('r1', 'c1', 'team-a')).map((p) => p.id)).to.deep.equal(['p0', 'p1']);
      expect((await s().policies.enabledFor('r1', 'c1', 'default')).map((p) => p.id)).to.deep.equal(['p1']);
      expect(await s().policies.enabledFor('r1', 'c1', 'other')).to.deep.equal([]);
      expect((await s().policies.enabledFor('r1', 'c1', 'default'))[0]).to.deep.equal(policy('r1', 'p1'));
      await s().signingRules.insert(rule('r1', 'sr0', { enabled: false }));
      await s().signingRules.insert(rule('r1', 'sr2', { witness: 'projects/r1/witnesses/w2' }));
      expect((await s().signingRules.enabled('r1')).map((r) => [r.id, r.spec.witness])).to.deep.equal([
        ['sr1', 'projects/r1/witnesses/w1'],
        ['sr2', 'projects/r1/witnesses/w2'],
      ]);
      expect(await s().witnesses.users({ projectId: 'r1', id: 'w1' })).to.deep.equal([
        'projects/r1/policies/p0',
        'projects/r1/policies/p1',
        'projects/r1/policies/p2',
        'projects/r1/policies/p3',
        'projects/r1/signingRules/sr0',
        'projects/r1/signingRules/sr1',
      ]);
      expect(await s().witnesses.users({ projectId: 'r1', id: 'w3' })).to.deep.equal([]);
    });

    it('keeps attestation requirements, and a witness they name counts as used', async () => {
      const attestations = [
        { witness: 'projects/r1/witnesses/w3', predicateType: 'https://slsa.dev/provenance/v1', condition: "predicate.x == 'y'" },
        { witness: 'projects/r1/witnesses/w1', predicateType: 'https://example/other', condition: '' },
      ];
      const only = policy('r1', 'pa', { witnesses: [], attestations });
      expect(await s().policies.insert(only)).to.equal(true);
      expect(await s().policies.get({ projectId: 'r1', id: 'pa' })).to.deep.equal(only);
      expect(await s().witnesses.users({ projectId: 'r1', id: 'w3' })).to.deep.equal(['projects/r1/policies/pa']);
      expect(await refusal(s().witnesses.delete({ projectId: 'r1', id: 'w3' }))).to.equal('FAILED_PRECONDITION');
      const ghost = { ...only, spec: { ...only.spec, attestations: [{ ...attestations[0]!, witness: 'projects/r1/witnesses/ghost' }] } };
      expect(await refusal(s().policies.update({ ...ghost, revision: 2 }))).to.equal('FAILED_PRECONDITION');
      expect(await s().policies.get({ projectId: 'r1', id: 'pa' })).to.deep.equal(only);
      expect(await s().policies.delete({ projectId: 'r1', id: 'pa' })).to.equal(true);
      expect(await s().witnesses.users({ projectId: 'r1', id: 'w3' })).to.deep.equal([]);
    });

    it('keeps import rules with their witnesses: read back, enabled ones, users, missing witnesses refused', async () => {
      expect(await s().importRules.insert(importRule('r1', 'ir1'))).to.equal(true);
      expect(await s().importRules.insert(importRule('r1', 'ir1', { description: 'again' }))).to.equal(false);
      expect(await s().importRules.get({ projectId: 'r1', id: 'ir1' })).to.deep.equal(importRule('r1', 'ir1'));
      await s().importRules.insert(importRule('r1', 'ir0', { enabled: false, witnesses: ['projects/r1/witnesses/w3'] }));
      const ghost = importRule('r1', 'ir-ghost', { witnesses: ['projects/r1/witnesses/w3', 'projects/r1/witnesses/ghost'] });
      expect(await refusal(s().importRules.insert(ghost))).to.equal('FAILED_PRECONDITION');
      expect(await s().importRules.get({ projectId: 'r1', id: 'ir-ghost' })).to.equal(undefined);
      expect((await s().importRules.enabled('r1')).map((r) => r.id)).to.deep.equal(['ir1']);
      expect(await s().importRules.enabled('r2')).to.deep.equal([]);
      // A hook delivery reads both kinds' enabled rules in one call (HookStore.deliveryRules): the same records.
      const both = await s().hooks.deliveryRules('r1');
      expect(both).to.deep.equal({ signing: await s().signingRules.enabled('r1'), imports: await s().importRules.enabled('r1') });
      expect(both!.signing).to.have.length.above(0);
      expect(both!.imports).to.have.length.above(0);
      expect(await s().hooks.deliveryRules('r2')).to.deep.equal({ signing: [], imports: [] });
      expect(await s().hooks.deliveryRules('nowhere')).to.equal(undefined);
      expect((await s().witnesses.users({ projectId: 'r1', id: 'w3' })).filter((u) => u.includes('importRules'))).to.deep.equal([
        'projects/r1/importRules/ir0',
        'projects/r1/importRules/ir1',
      ]);
      const changed = {
        ...importRule('r1', 'ir1', { witnesses: ['projects/r1/witnesses/w1'], plainHttp: false }),
        revision: 2,
        updateTime: T1,
      };
      await s().importRules.update(changed);
      expect(await s().importRules.get({ projectId: 'r1', id: 'ir1' })).to.deep.equal(changed);
      expect(
        await refusal(s().importRules.update({ ...changed, spec: { ...changed.spec, witnesses: ['projects/r1/witnesses/ghost'] } })),
      ).to.equal('FAILED_PRECONDITION');
      expect(await s().importRules.get({ projectId: 'r1', id: 'ir1' })).to.deep.equal(changed);
      expect((await s().witnesses.users({ projectId: 'r1', id: 'w3' })).filter((u) => u.includes('importRules'))).to.deep.equal([
        'projects/r1/importRules/ir0',
      ]);
      expect(await s().importRules.delete({ projectId: 'r1', id: 'ir0' })).to.equal(true);
      expect(await s().importRules.delete({ projectId: 'r1', id: 'ir0' })).to.equal(false);
      expect(await s().importRules.delete({ projectId: 'r1', id: 'ir1' })).to.equal(true);
      expect((await s().witnesses.users({ projectId: 'r1', id: 'w3' })).filter((u) => u.includes('importRules'))).to.deep.equal([]);
    });

    it('deletes once; a witness still in use is refused and stays', async () => {
      expect(await refusal(s().witnesses.delete({ projectId: 'r1', id: 'w2' }))).to.equal('FAILED_PRECONDITION');
      expect(await s().witnesses.get({ projectId: 'r1', id: 'w2' })).to.not.equal(undefined);
      expect(await s().signingRules.delete({ projectId: 'r1', id: 'sr2' })).to.equal(true);
      expect(await s().signingRules.delete({ projectId: 'r1', id: 'sr2' })).to.equal(false);
      expect(await s().witnesses.delete({ projectId: 'r1', id: 'w2' })).to.equal(true);
      expect(await s().witnesses.get({ projectId: 'r1', id: 'w2' })).to.equal(undefined);
      expect(await s().witnesses.delete({ projectId: 'r1', id: 'w2' })).to.equal(false);
      expect(await s().policies.delete({ projectId: 'r1', id: 'p3' })).to.equal(true);
      expect(await s().policies.get({ projectId: 'r1', id: 'p3' })).to.equal(undefined);
    });

    it('writes nothing of a transaction that fails', async () => {
      const err = await uow
        .transaction(async (tx) => {
          expect(await tx.policies.insert(policy('r1', 'p-tx'))).to.equal(true);
          await tx.policies.update({ ...policy('r1', 'p1'), revision: 9 });
          expect((await tx.policies.get({ projectId: 'r1', id: 'p-tx' }))?.id).to.equal('p-tx');
          throw new Error('boom');
        })
        .catch((e: Error) => e);
      expect(err.message).to.equal('boom');
      expect(await s().policies.get({ projectId: 'r1', id: 'p-tx' })).to.equal(undefined);
      expect((await s().policies.get({ projectId: 'r1', id: 'p1' }))?.revision).to.equal(1);
    });

    it('holds a row read for update until the transaction ends', async () => {
      const order: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const firstLocked = new Promise<void>((resolve) => (locked = resolve));
      const a = uow.transaction(async (tx) => {
        await tx.policies.get({ projectId: 'r1', id: 'p1' }, true);
        locked();
        await released;
        await tx.policies.update({ ...policy('r1', 'p1'), revision: 2, updateTime: T1 });
        order.push('first done');
      });
      await firstLocked;
      const b = uow.transaction(async (tx) => {
        const seen = await tx.policies.get({ projectId: 'r1', id: 'p1' }, true);
        order.push(`second read revision ${seen?.revision}`);
      });
      // However long this wait, the second must not read before the first commits.
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push('released');
      release();
      await Promise.all([a, b]);
      expect(order).to.deep.equal(['released', 'first done', 'second read revision 2']);
    });
  });
}
