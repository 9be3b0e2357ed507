import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import type { Committed } from '../../src/domain/stores/unit-of-work';
import type { StoreBackend } from './backends';
import { createProjects, note, query, rejection, T0, useDatabase } from './contract-fixtures';

const event = (projectId: string) => ({
  projectId,
  time: T0,
  actor: 'alice',
  method: 'CreateNote',
  resource: `projects/${projectId}/notes/n`,
  requestId: 'r1',
  kind: 'change' as const,
  details: {},
});

/** What every UnitOfWork must do: all-or-nothing transactions, isolation, commit reports and error classification. */
export function unitOfWorkContract(backend: StoreBackend): void {
  describe(`unit of work contract (${backend.name})`, function () {
    this.timeout(60000);
    const { db, uow } = useDatabase(backend);

    before(async () => createProjects(uow(), 'u1'));

    it('commits every store a transaction wrote, and hides them from others until then', async () => {
      const result = await uow().transaction(async (s) => {
        await s.projects.insert({ projectId: 'u2', createTime: T0 });
        await s.grafeas.insertNotes([note('u2', 'n')]);
        expect(await s.projects.get('u2')).to.deep.equal({ projectId: 'u2', createTime: T0 });
        // Readers outside the transaction see the committed state only.
        expect(await uow().stores.projects.get('u2')).to.equal(undefined);
        expect(await uow().stores.grafeas.getNote({ projectId: 'u2', noteId: 'n' })).to.equal(undefined);
        return 'done';
      });
      expect(result).to.equal('done');
      const other = await db().replica();
      expect(await other.stores.grafeas.getNote({ projectId: 'u2', noteId: 'n' })).to.not.equal(undefined);
    });

    it("rolls back every store's writes when the work throws, and rethrows its error", async () => {
      const boom = new ApiError('FAILED_PRECONDITION', 'no');
      const err = await rejection(
        uow().transaction(async (s) => {
          await s.projects.insert({ projectId: 'u3', createTime: T0 });
          await s.grafeas.insertNotes([note('u3', 'n')]);
          await s.audit.appendMany([event('u3')]);
          await s.hooks.receipt('u3', 'distribution', 'e1', T0);
          await s.keys.insert(
            {
              projectId: 'u3',
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
          throw boom;
        }),
      );
      expect(err).to.equal(boom);
      const s = uow().stores;
      expect(await s.projects.get('u3')).to.equal(undefined);
      expect(await s.grafeas.getNote({ projectId: 'u3', noteId: 'n' })).to.equal(undefined);
      expect(await s.audit.pendingCount('u3')).to.equal(0);
      expect(await s.keys.get('u3', 'k')).to.equal(undefined);
      // The receipt is gone too: the same event id is new again.
      await createProjects(uow(), 'u3');
      expect(await s.hooks.receipt('u3', 'distribution', 'e1', T0)).to.equal(true);
    });

    it('commits writes made outside a transaction at once', async () => {
      await uow().stores.grafeas.insertNotes([note('u1', 'direct')]);
      const other = await db().replica();
      expect(await other.stores.grafeas.getNote({ projectId: 'u1', noteId: 'direct' })).to.not.equal(undefined);
    });

    it('reports what a committed transaction touched and audited, after it commits, and nothing else', async () => {
      const seen: Committed[] = [];
      const other = db().unitOfWork((c) => seen.push(c));
      await other.transaction(async (s) => {
        s.touch(['u1', 'u1']);
        s.touch(['x']);
        await s.audit.appendMany([event('u1'), event('y')]);
      });
      expect(seen.map((c) => ({ touched: [...c.touched].sort(), audited: [...c.audited].sort() }))).to.deep.equal([
        { touched: ['u1', 'x'], audited: ['u1', 'y'] },
      ]);
      // Nothing touched or audited: no report. Rolled back: no report.
      await other.transaction(async (s) => s.projects.get('u1'));
      await rejection(
        other.transaction(async (s) => {
          s.touch(['u1']);
          await s.audit.appendMany([event('u1')]);
          throw new Error('rolled back');
        }),
      );
      expect(seen).to.have.length(1);
    });

    it('classifies only storage failures: anything else is not its to explain', async () => {
      expect(uow().classifyError(new Error('bug'))).to.equal(undefined);
      expect(uow().classifyError(new ApiError('NOT_FOUND', 'x'))).to.equal(undefined);
      expect(uow().classifyError(undefined)).to.equal(undefined);
      expect(uow().classifyError('text')).to.equal(undefined);
      const fk = await rejection(uow().stores.grafeas.insertNotes([note('absent', 'n')]));
      expect(uow().classifyError(fk)).to.deep.include({ code: 'FAILED_PRECONDITION' });
      const nul = await rejection(uow().stores.projects.insert({ projectId: 'a\u0000b', createTime: T0 }));
      expect(uow().classifyError(nul)).to.deep.include({ code: 'INVALID_ARGUMENT' });
    });

    it('keeps lists consistent inside a transaction (its own writes included)', async () => {
      const names = await uow().transaction(async (s) => {
        await s.grafeas.insertNotes([note('u1', 'in-tx')]);
        await s.grafeas.deleteNote({ projectId: 'u1', noteId: 'direct' });
        return (await s.grafeas.listNotes('u1', query())).items.map((n) => n.name);
      });
      expect(names).to.deep.equal(['projects/u1/notes/in-tx']);
    });
  });
}
