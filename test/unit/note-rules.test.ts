import { expect } from 'chai';
import type { ErrorCode } from '../../src/domain/api-error';
import { listQuery } from '../../src/domain/list-query';
import type { RequestContext } from '../../src/domain/request-context';
import { attestation, grafeasWorld, URI } from '../support/grafeas-world';
import type { MemoryServices } from '../support/memory-services';
import { apiError, outcome } from '../support/outcome';

/** Notes, and reading occurrences across projects, over the memory backend. */
describe('note rules (memory backend)', () => {
  let s: MemoryServices;
  let viewer: RequestContext;
  let attestor: RequestContext;

  before(async () => {
    ({ s, viewer, attestor } = await grafeasWorld());
    await s.occurrences.create(s.admin, 'projects/p', { resourceUri: URI, noteName: 'projects/p/notes/att', attestation });
    await s.occurrences.create(s.admin, 'projects/p', { resourceUri: URI, noteName: 'projects/p/notes/build' });
  });

  describe('notes', () => {
    const cases: { desc: string; run: () => Promise<unknown>; wantCode: 'OK' | ErrorCode }[] = [
      { desc: 'create without a noteId', run: () => s.notes.create(s.admin, 'projects/p', '', {}), wantCode: 'INVALID_ARGUMENT' },
      {
        desc: 'create with a noteId holding "/"',
        run: () => s.notes.create(s.admin, 'projects/p', 'a/b', {}),
        wantCode: 'INVALID_ARGUMENT',
      },
      { desc: 'create one that exists', run: () => s.notes.create(s.admin, 'projects/p', 'att', {}), wantCode: 'ALREADY_EXISTS' },
      { desc: 'create in a project never created', run: () => s.notes.create(s.admin, 'projects/nowhere', 'n', {}), wantCode: 'NOT_FOUND' },
      {
        desc: 'create with a kind its details contradict',
        run: () => s.notes.create(s.admin, 'projects/p', 'k', { kind: 'BUILD', attestation: {} }),
        wantCode: 'INVALID_ARGUMENT',
      },
      {
        desc: 'create as an attestor',
        run: () => s.notes.create(attestor, 'projects/p', 'by-attestor', {}),
        wantCode: 'PERMISSION_DENIED',
      },
      { desc: 'batch-create nothing', run: () => s.notes.batchCreate(s.admin, 'projects/p', {}), wantCode: 'INVALID_ARGUMENT' },
      {
        desc: 'batch-create with a bad id',
        run: () => s.notes.batchCreate(s.admin, 'projects/p', { ok: {}, 'b:d': {} }),
        wantCode: 'INVALID_ARGUMENT',
      },
      { desc: 'get one that does not exist', run: () => s.notes.get(viewer, 'projects/p/notes/ghost'), wantCode: 'NOT_FOUND' },
      {
        desc: 'get as a viewer of another project',
        run: () => s.notes.get(viewer, 'projects/q/notes/shared'),
        wantCode: 'PERMISSION_DENIED',
      },
      {
        desc: 'list with an unknown filter field',
        run: () => s.notes.list(s.admin, 'projects/p', listQuery({ filter: 'color=red' })),
        wantCode: 'INVALID_ARGUMENT',
      },
      {
        desc: 'update the kind of a note with occurrences',
        run: () => s.notes.update(s.admin, 'projects/p/notes/att', { build: {} }, ['build']),
        wantCode: 'FAILED_PRECONDITION',
      },
      {
        desc: 'delete a note with occurrences',
        run: () => s.notes.delete(s.admin, 'projects/p/notes/att'),
        wantCode: 'FAILED_PRECONDITION',
      },
      { desc: 'delete one that does not exist', run: () => s.notes.delete(s.admin, 'projects/p/notes/ghost'), wantCode: 'NOT_FOUND' },
    ];
    for (const c of cases) it(c.desc, async () => expect(await outcome(c.run())).to.equal(c.wantCode));

    it('batch-creates all or nothing', async () => {
      const err = await apiError(s.notes.batchCreate(s.admin, 'projects/p', { fresh: {}, att: {} }));
      expect(err.code).to.equal('ALREADY_EXISTS');
      expect(err.message).to.contain('projects/p/notes/att');
      expect(await outcome(s.notes.get(s.admin, 'projects/p/notes/fresh'))).to.equal('NOT_FOUND');
      const made = await s.notes.batchCreate(s.admin, 'projects/p', { fresh: { build: {} }, fresh2: {} });
      expect(made.map((n) => [n.name, n.kind])).to.deep.equal([
        ['projects/p/notes/fresh', 'BUILD'],
        ['projects/p/notes/fresh2', 'NOTE_KIND_UNSPECIFIED'],
      ]);
    });

    it('updates with a mask, keeps createTime and moves updateTime, and changes the kind of a note without occurrences', async () => {
      const before = await s.notes.get(s.admin, 'projects/p/notes/fresh2');
      s.clock.advance(5000);
      const updated = await s.notes.update(s.admin, 'projects/p/notes/fresh2', { shortDescription: 'd', attestation: {} }, [
        'short_description',
      ]);
      expect(updated).to.deep.include({
        shortDescription: 'd',
        kind: 'NOTE_KIND_UNSPECIFIED',
        createTime: before.createTime,
        updateTime: s.clock.now(),
      });
      expect(updated.attestation).to.equal(undefined);
      expect((await s.notes.update(s.admin, 'projects/p/notes/fresh2', { attestation: {} }, undefined)).kind).to.equal('ATTESTATION');
      await s.notes.delete(s.admin, 'projects/p/notes/fresh2');
      expect(await outcome(s.notes.get(s.admin, 'projects/p/notes/fresh2'))).to.equal('NOT_FOUND');
    });
  });

  describe('reading across projects', () => {
    it("lists a note's occurrences only in the projects the caller may read", async () => {
      await s.occurrences.create(s.admin, 'projects/q', { resourceUri: URI, noteName: 'projects/p/notes/build' });
      const all = await s.occurrences.listForNote(s.admin, 'projects/p/notes/build', listQuery({ pageSize: 1000 }));
      const mine = await s.occurrences.listForNote(viewer, 'projects/p/notes/build', listQuery({ pageSize: 1000 }));
      expect(all.items.some((o) => String(o.name).startsWith('projects/q/'))).to.equal(true);
      expect(mine.items.length).to.be.greaterThan(0);
      expect(mine.items.every((o) => String(o.name).startsWith('projects/p/'))).to.equal(true);
      expect(await outcome(s.occurrences.listForNote(viewer, 'projects/q/notes/shared', listQuery({})))).to.equal('PERMISSION_DENIED');
      expect(await outcome(s.occurrences.listForNote(s.admin, 'projects/p/notes/ghost', listQuery({})))).to.equal('NOT_FOUND');
    });

    it('reads the note of an occurrence with the occurrence’s permission', async () => {
      const o = await s.occurrences.create(s.admin, 'projects/p', { resourceUri: URI, noteName: 'projects/q/notes/shared' });
      expect((await s.occurrences.getNote(viewer, String(o.name))).name).to.equal('projects/q/notes/shared');
    });

    it('records every change in the audit trail of its project', async () => {
      await s.sequencer.flush('p');
      const events = (await s.audit.list(s.admin, 'projects/p', listQuery({ pageSize: 1000, filter: 'method="CreateNote"' }))).items;
      expect(events.map((e) => e.resource)).to.include.members(['projects/p/notes/att', 'projects/p/notes/build']);
      expect(events.every((e) => e.actor === 'admin')).to.equal(true);
    });
  });
});
