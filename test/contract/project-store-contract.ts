import { expect } from 'chai';
import type { StoreBackend } from './backends';
import {
  at,
  createProjects,
  expectBadToken,
  lockSequence,
  note,
  occurrence,
  rejection,
  T0,
  tampered,
  useDatabase,
} from './contract-fixtures';

/** What every ProjectStore must do: projects, their pages, their contents and their deletion with everything in them. */
export function projectStoreContract(backend: StoreBackend): void {
  describe(`project store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { uow } = useDatabase(backend);
    const projects = () => uow().stores.projects;

    it('inserts a project once and reads it back', async () => {
      expect(await projects().insert({ projectId: 'alpha', createTime: at(1) })).to.equal(true);
      expect(await projects().insert({ projectId: 'alpha', createTime: at(2) })).to.equal(false);
      expect(await projects().get('alpha')).to.deep.equal({ projectId: 'alpha', createTime: at(1) });
      expect(await projects().get('beta')).to.equal(undefined);
      expect(await projects().lockShared('alpha')).to.equal(true);
      expect(await projects().lockShared('beta')).to.equal(false);
    });

    it('pages projects in id order with tokens only this list accepts', async () => {
      const ids = ['p-07', 'p-01', 'p-10', 'p-03', 'p-05', 'p-02', 'p-09', 'p-04', 'p-06', 'p-08'];
      await createProjects(uow(), ...ids);
      const first = await projects().list(4, undefined);
      const second = await projects().list(4, first.nextPageToken);
      const third = await projects().list(4, second.nextPageToken);
      expect([...first.items, ...second.items, ...third.items].map((p) => p.projectId)).to.deep.equal(['alpha', ...[...ids].sort()]);
      expect(third.nextPageToken).to.equal('');
      await expectBadToken(projects().list(4, tampered(first.nextPageToken)));
      await expectBadToken(uow().stores.keys.list('alpha', 4, first.nextPageToken));
    });

    it('holds a project against deletion while a transaction has it locked', async () => {
      await createProjects(uow(), 'locked');
      const order = await lockSequence(
        backend,
        uow(),
        (s) => s.projects.lockShared('locked'),
        (s) => s.projects.deleteWithContents('locked'),
      );
      expect(order).to.deep.equal(['released', 'first done', 'second locked']);
      expect(await projects().get('locked')).to.equal(undefined);
    });

    it("counts a project's contents and deletes it with them, keeping its audit trail", async () => {
      await createProjects(uow(), 'full', 'other');
      const n = note('full', 'solo');
      const s = uow().stores;
      await s.grafeas.insertNotes([n, note('full', 'second')]);
      await s.grafeas.insertOccurrences([occurrence('full', n, 'https://r/q@sha256:4')]);
      await s.keys.insert(
        {
          projectId: 'full',
          keyId: 'k',
          keySpec: 'EC_P256',
          purpose: 'SIGN_VERIFY',
          algorithm: 'EC_SIGN_P256_SHA256',
          description: '',
          state: 'ENABLED',
          primaryVersion: 1,
          createTime: T0,
          updateTime: T0,
        },
        {
          version: 1,
          algorithm: 'EC_SIGN_P256_SHA256',
          publicKeyPem: 'pem',
          material: Buffer.from('m'),
          materialKeyId: 'mk',
          createTime: T0,
        },
      );
      await s.hooks.receipt('full', 'distribution', 'e1', T0);
      const signingId = await s.hooks.enqueue({
        projectId: 'full',
        witnessId: 'w',
        registry: 'r',
        repository: 'ns/a',
        digest: 'sha256:1',
        actor: 'a',
        createTime: T0,
      });
      await s.hooks.insertEvents([
        {
          projectId: 'full',
          hookEventId: '018f0000-0000-7000-8000-000000000001',
          source: 'distribution',
          eventId: 'e1',
          action: 'push',
          mediaType: 'm',
          image: 'i',
          tag: '',
          ruleId: 'r',
          witnessId: 'w',
          signingId,
          reason: '',
          receiveTime: T0,
        },
      ]);
      await s.clusters.insert({
        projectId: 'full',
        id: 'c',
        spec: { description: '', webhookMode: 'OPT_OUT', exemptNamespaces: [], enforcedNamespaces: [] },
        revision: 1,
        createTime: T0,
        updateTime: T0,
      });
      await s.decisions.insert([
        {
          decisionId: '018f0000-0000-7000-8000-000000000002',
          projectId: 'full',
          time: T0,
          cluster: 'c',
          namespace: 'n',
          allowed: true,
          source: 'verifyImages',
          objectKind: '',
          actor: 'a',
          images: [],
          body: '{"name":"d"}',
        },
      ]);
      await s.audit.appendMany([
        {
          projectId: 'full',
          time: T0,
          actor: 'a',
          method: 'CreateProject',
          resource: 'projects/full',
          requestId: 'r',
          kind: 'change',
          details: {},
        },
      ]);
      expect(await projects().contents('full')).to.deep.equal({
        notes: 2,
        occurrences: 1,
        keys: 1,
        witnesses: 0,
        policies: 0,
        signingRules: 0,
        importRules: 0,
        foreignReferences: 0,
      });
      expect(await uow().transaction((t) => t.projects.deleteWithContents('full'))).to.equal(true);
      expect(await projects().get('full')).to.equal(undefined);
      expect(await s.grafeas.getNote({ projectId: 'full', noteId: 'solo' })).to.equal(undefined);
      expect(await s.keys.get('full', 'k')).to.equal(undefined);
      expect(await s.clusters.get({ projectId: 'full', id: 'c' })).to.equal(undefined);
      expect(await s.audit.pendingCount('full')).to.equal(1);
      expect(await projects().contents('full')).to.deep.equal({
        notes: 0,
        occurrences: 0,
        keys: 0,
        witnesses: 0,
        policies: 0,
        signingRules: 0,
        importRules: 0,
        foreignReferences: 0,
      });
      // A project made again under the same id starts empty.
      await createProjects(uow(), 'full');
      expect(await s.hooks.receipt('full', 'distribution', 'e1', T0)).to.equal(true);
      expect(await uow().transaction((t) => t.projects.deleteWithContents('never'))).to.equal(false);
    });

    it('counts and protects notes that other projects point at', async () => {
      await createProjects(uow(), 'owner', 'user');
      const n = note('owner', 'shared');
      await uow().stores.grafeas.insertNotes([n]);
      await uow().stores.grafeas.insertOccurrences([occurrence('user', n, 'https://r/a'), occurrence('owner', n, 'https://r/b')]);
      expect(await projects().contents('owner')).to.deep.include({ notes: 1, occurrences: 1, foreignReferences: 1 });
      const err = await rejection(uow().transaction((t) => t.projects.deleteWithContents('owner')));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
      expect(await projects().get('owner')).to.not.equal(undefined);
      // Deleting the project that points at them lifts the hold.
      expect(await uow().transaction((t) => t.projects.deleteWithContents('user'))).to.equal(true);
      expect(await uow().transaction((t) => t.projects.deleteWithContents('owner'))).to.equal(true);
    });
  });
}
