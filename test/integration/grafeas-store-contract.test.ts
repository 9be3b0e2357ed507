import { expect } from 'chai';
import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { parseFilter } from '../../src/domain/filter/parse-filter';
import type { NoteRecord, OccurrenceRecord } from '../../src/domain/stores/grafeas-store';
import type { ListQuery } from '../../src/domain/message-types';
import { migrateLatest, openDatabase } from '../../src/store/database';
import { PageTokens } from '../../src/store/page-token';
import { SettingsStore } from '../../src/store/settings-store';
import { PostgresUnitOfWork } from '../../src/store/postgres-unit-of-work';
import { testBackends } from '../support/test-database';

const T0 = '2026-01-01T00:00:00.000Z';

function query(filter = '', pageSize = 20, pageToken?: string): ListQuery {
  return { filter: parseFilter(filter), filterText: filter, pageSize, pageToken };
}

function note(projectId: string, noteId: string, kind = 'ATTESTATION'): NoteRecord {
  const name = `projects/${projectId}/notes/${noteId}`;
  return {
    projectId,
    noteId,
    kind,
    createTime: T0,
    updateTime: T0,
    body: { name, kind, attestation: { hint: { humanReadableName: noteId } } },
  };
}

function occurrence(projectId: string, n: NoteRecord, resourceUri: string): OccurrenceRecord {
  const occurrenceId = uuidv7();
  return {
    projectId,
    occurrenceId,
    resourceUri,
    noteProjectId: n.projectId,
    noteId: n.noteId,
    kind: n.kind,
    createTime: T0,
    updateTime: T0,
    body: { name: `projects/${projectId}/occurrences/${occurrenceId}`, resourceUri, noteName: n.body.name, kind: n.kind },
  };
}

// One storage contract, run against every backend: the real Postgres and the embedded one.
for (const backend of testBackends()) {
  describe(`Grafeas store contract (${backend.name})`, function () {
    this.timeout(120000);
    let knex: Knex;
    let uow: PostgresUnitOfWork;
    let url: string;

    before(async () => {
      url = await backend.createDatabase();
      knex = openDatabase({ url, poolMax: 4 });
      await migrateLatest(knex);
      uow = new PostgresUnitOfWork(knex, new PageTokens(await new SettingsStore(knex).secret('page_token_key')));
      await uow.stores.projects.insert({ projectId: 'p1', createTime: T0 });
      await uow.stores.projects.insert({ projectId: 'p2', createTime: T0 });
    });
    after(async () => knex?.destroy());

    it('inserts notes and reports ids that are taken without inserting any', async () => {
      expect(await uow.stores.grafeas.insertNotes([note('p1', 'a'), note('p1', 'b')])).to.deep.equal([]);
      expect(await uow.stores.grafeas.insertNotes([note('p1', 'b')])).to.deep.equal(['b']);
      expect((await uow.stores.grafeas.getNote({ projectId: 'p1', noteId: 'a' }))?.name).to.equal('projects/p1/notes/a');
      expect(await uow.stores.grafeas.getNote({ projectId: 'p2', noteId: 'a' })).to.equal(undefined);
    });

    it('rolls back a whole transaction when one part fails', async () => {
      const err = await uow
        .transaction(async (s) => {
          await s.grafeas.insertNotes([note('p1', 'tx-1')]);
          throw new Error('boom');
        })
        .catch((e: Error) => e);
      expect(err.message).to.equal('boom');
      expect(await uow.stores.grafeas.getNote({ projectId: 'p1', noteId: 'tx-1' })).to.equal(undefined);
    });

    it('pages notes with keyset tokens bound to the query', async () => {
      await uow.stores.grafeas.insertNotes(Array.from({ length: 25 }, (_, i) => note('p2', `n${String(i).padStart(2, '0')}`)));
      const first = await uow.stores.grafeas.listNotes('p2', query('', 10));
      expect(first.items).to.have.length(10);
      const second = await uow.stores.grafeas.listNotes('p2', query('', 10, first.nextPageToken));
      const third = await uow.stores.grafeas.listNotes('p2', query('', 10, second.nextPageToken));
      expect(third.items).to.have.length(5);
      expect(third.nextPageToken).to.equal('');
      const names = [...first.items, ...second.items, ...third.items].map((n) => n.name);
      expect(new Set(names).size).to.equal(25);
      // A token from one query is refused for another.
      const err = await uow.stores.grafeas.listNotes('p2', query('kind="ATTESTATION"', 10, first.nextPageToken)).catch((e) => e);
      expect(err.code).to.equal('INVALID_ARGUMENT');
    });

    it('keeps page tokens valid with a new store over the same database (a restart or another replica)', async () => {
      const first = await uow.stores.grafeas.listNotes('p2', query('', 7));
      const otherKnex = openDatabase({ url, poolMax: 2 });
      try {
        const other = new PostgresUnitOfWork(otherKnex, new PageTokens(await new SettingsStore(otherKnex).secret('page_token_key')));
        const next = await other.stores.grafeas.listNotes('p2', query('', 7, first.nextPageToken));
        expect(next.items[0]!.name).to.equal('projects/p2/notes/n07');
      } finally {
        await otherKnex.destroy();
      }
    });

    it('stores occurrences, filters them by resource and note, and pages by time-ordered id', async () => {
      const a = note('p1', 'a');
      const uris = ['https://r/x@sha256:1', 'https://r/y@sha256:2'];
      const recs = Array.from({ length: 30 }, (_, i) => occurrence(i % 3 === 0 ? 'p2' : 'p1', a, uris[i % 2]!));
      await uow.stores.grafeas.insertOccurrences(recs);
      const all = await uow.stores.grafeas.listOccurrences('p1', query('', 1000));
      expect(all.items).to.have.length(20);
      const ids = all.items.map((o) => String(o.name));
      expect(ids).to.deep.equal([...ids].sort());
      const x = await uow.stores.grafeas.listOccurrences('p1', query(`resourceUri="${uris[0]}"`, 1000));
      expect(x.items.every((o) => o.resourceUri === uris[0])).to.equal(true);
      const byNote = await uow.stores.grafeas.listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 1000), undefined);
      expect(byNote.items).to.have.length(30);
      const onlyP2 = await uow.stores.grafeas.listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 1000), ['p2']);
      expect(onlyP2.items).to.have.length(10);
      expect(await uow.stores.grafeas.countNoteOccurrences({ projectId: 'p1', noteId: 'a' })).to.equal(30);
    });

    it('gets an occurrence only under its own project', async () => {
      const o = occurrence('p1', note('p1', 'a'), 'https://r/z@sha256:3');
      await uow.stores.grafeas.insertOccurrences([o]);
      expect(await uow.stores.grafeas.getOccurrence({ projectId: 'p1', occurrenceId: o.occurrenceId })).to.not.equal(undefined);
      expect(await uow.stores.grafeas.getOccurrence({ projectId: 'p2', occurrenceId: o.occurrenceId })).to.equal(undefined);
      expect(await uow.stores.grafeas.deleteOccurrence({ projectId: 'p2', occurrenceId: o.occurrenceId })).to.equal(false);
      expect(await uow.stores.grafeas.deleteOccurrence({ projectId: 'p1', occurrenceId: o.occurrenceId })).to.equal(true);
    });

    it('refuses to delete a note that occurrences reference (no dangling references)', async () => {
      const err = await uow.stores.grafeas.deleteNote({ projectId: 'p1', noteId: 'a' }).catch((e) => e);
      expect(err.code).to.equal('23503');
    });

    it('reports the kinds of existing notes in one call', async () => {
      const kinds = await uow.stores.grafeas.noteKinds([
        { projectId: 'p1', noteId: 'a' },
        { projectId: 'p1', noteId: 'missing' },
      ]);
      expect([...kinds.entries()]).to.deep.equal([['projects/p1/notes/a', 'ATTESTATION']]);
    });

    it("counts a project's contents and deletes it with them", async () => {
      await uow.stores.projects.insert({ projectId: 'p3', createTime: T0 });
      const n = note('p3', 'solo');
      await uow.stores.grafeas.insertNotes([n]);
      await uow.stores.grafeas.insertOccurrences([occurrence('p3', n, 'https://r/q@sha256:4')]);
      expect(await uow.stores.projects.contents('p3')).to.deep.equal({
        notes: 1,
        occurrences: 1,
        keys: 0,
        witnesses: 0,
        policies: 0,
        signingRules: 0,
        foreignReferences: 0,
      });
      expect(await uow.transaction((s) => s.projects.deleteWithContents('p3'))).to.equal(true);
      expect(await uow.stores.projects.get('p3')).to.equal(undefined);
    });
  });
}
