import { expect } from 'chai';
import type { JsonObject } from '../../src/domain/message-types';
import type { Committed } from '../../src/domain/stores/unit-of-work';
import type { StoreBackend } from './backends';
import {
  at,
  createProjects,
  lockSequence,
  type LockStep,
  expectBadToken,
  note,
  occurrence,
  query,
  rejection,
  T0,
  tampered,
  useDatabase,
} from './contract-fixtures';

/** What every GrafeasStore must do: notes and occurrences, their constraints, filters and keyset paging. */
export function grafeasStoreContract(backend: StoreBackend): void {
  describe(`Grafeas store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { db, uow } = useDatabase(backend);
    const grafeas = () => uow().stores.grafeas;
    const lockOrder = (first: LockStep, second: LockStep) => lockSequence(backend, uow(), first, second);

    before(async () => createProjects(uow(), 'p1', 'p2'));

    it('inserts notes and reports ids that are taken', async () => {
      expect(await grafeas().insertNotes([note('p1', 'a'), note('p1', 'b')])).to.deep.equal([]);
      expect(await grafeas().insertNotes([note('p1', 'b')])).to.deep.equal(['b']);
      expect((await grafeas().getNote({ projectId: 'p1', noteId: 'a' }))?.name).to.equal('projects/p1/notes/a');
      expect(await grafeas().getNote({ projectId: 'p2', noteId: 'a' })).to.equal(undefined);
    });

    it('gives back the stored message as it was written, as a copy the caller may change', async () => {
      const n = note('p1', 'json');
      n.body.attestation = { hint: { humanReadableName: 'json' }, nested: [1, 'two', { z: null, a: true }] };
      await grafeas().insertNotes([n]);
      const got = (await grafeas().getNote({ projectId: 'p1', noteId: 'json' }))!;
      expect(got).to.deep.equal(n.body);
      (got.attestation as Record<string, unknown>).hint = 'changed';
      expect((await grafeas().getNote({ projectId: 'p1', noteId: 'json' }))!.attestation).to.deep.equal(n.body.attestation);
    });

    it('rolls back a whole transaction when one part fails', async () => {
      const err = await rejection(
        uow().transaction(async (s) => {
          await s.grafeas.insertNotes([note('p1', 'tx-1')]);
          await s.grafeas.insertOccurrences([occurrence('p1', note('p1', 'tx-1'), 'https://r/tx@sha256:0')]);
          throw new Error('boom');
        }),
      );
      expect(err.message).to.equal('boom');
      expect(await grafeas().getNote({ projectId: 'p1', noteId: 'tx-1' })).to.equal(undefined);
      expect(await grafeas().countNoteOccurrences({ projectId: 'p1', noteId: 'tx-1' })).to.equal(0);
    });

    it('refuses a note in a project that does not exist, and text with NUL, as storage failures a client can act on', async () => {
      const missing = await rejection(grafeas().insertNotes([note('nope', 'x')]));
      expect(uow().classifyError(missing)?.code).to.equal('FAILED_PRECONDITION');
      const nul = note('p1', 'nul');
      nul.body.shortDescription = 'a\u0000b';
      expect(uow().classifyError(await rejection(grafeas().insertNotes([nul])))?.code).to.equal('INVALID_ARGUMENT');
      expect(await grafeas().getNote({ projectId: 'p1', noteId: 'nul' })).to.equal(undefined);
    });

    it('pages notes in id order with keyset tokens bound to the query', async () => {
      await grafeas().insertNotes(Array.from({ length: 25 }, (_, i) => note('p2', `n${String(i).padStart(2, '0')}`)));
      const first = await grafeas().listNotes('p2', query('', 10));
      expect(first.items).to.have.length(10);
      const second = await grafeas().listNotes('p2', query('', 10, first.nextPageToken));
      const third = await grafeas().listNotes('p2', query('', 10, second.nextPageToken));
      expect(third.items).to.have.length(5);
      expect(third.nextPageToken).to.equal('');
      const names = [...first.items, ...second.items, ...third.items].map((n) => n.name);
      expect(names).to.deep.equal(Array.from({ length: 25 }, (_, i) => `projects/p2/notes/n${String(i).padStart(2, '0')}`));
      // A token from one query is refused for another, and a token changed by hand for any.
      await expectBadToken(grafeas().listNotes('p2', query('kind="ATTESTATION"', 10, first.nextPageToken)));
      await expectBadToken(grafeas().listNotes('p1', query('', 10, first.nextPageToken)));
      await expectBadToken(grafeas().listNotes('p2', query('', 10, tampered(first.nextPageToken))));
      await expectBadToken(grafeas().listNotes('p2', query('', 10, 'not-a-token')));
      // An exactly full last page has no next token.
      expect((await grafeas().listNotes('p2', query('', 25))).nextPageToken).to.equal('');
    });

    it('keeps page tokens valid through another unit of work over the same database (a restart or another replica)', async () => {
      const first = await grafeas().listNotes('p2', query('', 7));
      const other = await db().replica();
      const next = await other.stores.grafeas.listNotes('p2', query('', 7, first.nextPageToken));
      expect(next.items[0]!.name).to.equal('projects/p2/notes/n07');
    });

    it('filters notes by name, kind and time', async () => {
      await grafeas().insertNotes([note('p1', 'build-1', 'BUILD', at(10)), note('p1', 'build-2', 'BUILD', at(20))]);
      const ids = async (filter: string) => (await grafeas().listNotes('p1', query(filter, 100))).items.map((n) => n.name);
      expect(await ids('kind=BUILD')).to.deep.equal(['projects/p1/notes/build-1', 'projects/p1/notes/build-2']);
      expect(await ids('name="projects/p1/notes/build-*" AND createTime>"2026-01-01T00:00:15Z"')).to.deep.equal([
        'projects/p1/notes/build-2',
      ]);
      expect(await ids('noteId:"uild-1"')).to.deep.equal(['projects/p1/notes/build-1']);
      const err = await rejection(grafeas().listNotes('p1', query('resourceUri="x"')));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.match(/^unknown filter field "resourceUri"/);
    });

    it('stores occurrences, filters them by resource, note, kind and time, and pages by time-ordered id', async () => {
      const a = note('p1', 'a');
      const uris = ['https://r/x@sha256:1', 'https://r/y@sha256:2'];
      const recs = Array.from({ length: 30 }, (_, i) => occurrence(i % 3 === 0 ? 'p2' : 'p1', a, uris[i % 2]!, at(i)));
      await grafeas().insertOccurrences(recs);
      const all = await grafeas().listOccurrences('p1', query('', 1000));
      expect(all.items.map((o) => o.name)).to.deep.equal(recs.filter((r) => r.projectId === 'p1').map((r) => r.body.name));
      const x = await grafeas().listOccurrences('p1', query(`resourceUri="${uris[0]}"`, 1000));
      expect(x.items).to.have.length(10);
      expect(x.items.every((o) => o.resourceUri === uris[0])).to.equal(true);
      const late = await grafeas().listOccurrences(
        'p1',
        query('createTime>="2026-01-01T00:00:20Z" AND noteName="projects/p1/notes/a"', 1000),
      );
      expect(late.items).to.have.length(recs.filter((r, i) => r.projectId === 'p1' && i >= 20).length);
      expect((await grafeas().listOccurrences('p1', query('kind=BUILD', 1000))).items).to.deep.equal([]);
      const paged = await grafeas().listOccurrences('p1', query(`resourceUri="${uris[1]}"`, 4));
      const rest = await grafeas().listOccurrences('p1', query(`resourceUri="${uris[1]}"`, 100, paged.nextPageToken));
      expect([...paged.items, ...rest.items]).to.have.length(10);
      const byNote = await grafeas().listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 1000), undefined);
      expect(byNote.items).to.have.length(30);
      const onlyP2 = await grafeas().listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 1000), ['p2']);
      expect(onlyP2.items).to.have.length(10);
      expect((await grafeas().listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 1000), [])).items).to.deep.equal([]);
      const pageP2 = await grafeas().listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 3), ['p2']);
      await expectBadToken(grafeas().listNoteOccurrences({ projectId: 'p1', noteId: 'a' }, query('', 3, pageP2.nextPageToken), ['p1']));
      expect(await grafeas().countNoteOccurrences({ projectId: 'p1', noteId: 'a' })).to.equal(30);
    });

    it('finds occurrences by notes and resources in one call, in id order', async () => {
      const a = note('p1', 'a');
      const found = await grafeas().findOccurrences(
        [
          { projectId: 'p1', noteId: 'a' },
          { projectId: 'p1', noteId: 'missing' },
        ],
        ['https://r/x@sha256:1', 'https://r/none'],
      );
      expect(found).to.have.length(15);
      expect(found.every((o) => o.resourceUri === 'https://r/x@sha256:1' && o.noteName === a.body.name)).to.equal(true);
      expect(found.map((o) => String(o.name).split('/')[3])).to.deep.equal(found.map((o) => String(o.name).split('/')[3]).sort());
      expect(await grafeas().findOccurrences([], ['https://r/x@sha256:1'])).to.deep.equal([]);
    });

    it("finds a project's occurrences of some kinds on an image's resource URIs, in id order, up to a limit", async () => {
      const vuln = note('p1', 'img-cve', 'VULNERABILITY');
      const scan = note('p1', 'img-scanner', 'DISCOVERY');
      const other = note('p1', 'img-att');
      await grafeas().insertNotes([vuln, scan, other]);
      const uri = 'https://r/img@sha256:9';
      const recs = [
        ...Array.from({ length: 5 }, (_, i) => occurrence('p1', vuln, i % 2 ? uri : 'r/img@sha256:9', at(i))),
        occurrence('p1', scan, uri),
        occurrence('p1', other, uri),
        occurrence('p2', vuln, uri),
        occurrence('p1', vuln, 'https://r/img@sha256:8'),
      ];
      await grafeas().insertOccurrences(recs);
      const found = await grafeas().imageOccurrences('p1', ['VULNERABILITY', 'DISCOVERY'], [uri, 'r/img@sha256:9'], 100);
      expect(found.map((o) => o.name)).to.deep.equal(
        recs
          .slice(0, 6)
          .map((r) => r.body.name)
          .sort(),
      );
      expect(await grafeas().imageOccurrences('p1', ['VULNERABILITY', 'DISCOVERY'], [uri, 'r/img@sha256:9'], 3)).to.have.length(3);
      expect(await grafeas().imageOccurrences('p1', ['DISCOVERY'], [uri], 100)).to.have.length(1);
      expect(await grafeas().imageOccurrences('p1', [], [uri], 100)).to.deep.equal([]);
      expect(await grafeas().imageOccurrences('p1', ['VULNERABILITY'], [], 100)).to.deep.equal([]);
    });

    it('finds VULNERABILITY_ASSESSMENT notes by product URI, in note id order, limited, in the project only', async () => {
      const vex = (projectId: string, noteId: string, uri: string, kind = 'VULNERABILITY_ASSESSMENT') => {
        const n = note(projectId, noteId, kind);
        const body = {
          name: n.body.name,
          kind,
          vulnerabilityAssessment: { product: { genericUri: uri }, assessment: { vulnerabilityId: 'CVE-1' } },
        };
        return { ...n, body };
      };
      await grafeas().insertNotes([
        vex('p1', 'vex-c', 'https://r/app@sha256:1'),
        vex('p1', 'vex-a', 'https://r/app'),
        vex('p1', 'vex-b', 'https://r/app@sha256:2'),
        vex('p1', 'vex-other-kind', 'https://r/app', 'VULNERABILITY'),
      ]);
      await grafeas().insertNotes([vex('p2', 'vex-p2', 'https://r/app')]);
      const found = await grafeas().assessmentNotes('p1', ['https://r/app@sha256:1', 'https://r/app'], 100);
      expect(found.map((n) => n.name)).to.deep.equal(['projects/p1/notes/vex-a', 'projects/p1/notes/vex-c']);
      expect(await grafeas().assessmentNotes('p1', ['https://r/app@sha256:1', 'https://r/app'], 1)).to.have.length(1);
      expect(await grafeas().assessmentNotes('p1', [], 100)).to.deep.equal([]);
      expect(await grafeas().assessmentNotes('p2', ['https://r/app@sha256:1'], 100)).to.deep.equal([]);
    });

    it('refuses an occurrence of a note that does not exist, and a duplicate occurrence id', async () => {
      const missing = await rejection(grafeas().insertOccurrences([occurrence('p1', note('p1', 'ghost'), 'https://r/g')]));
      expect(uow().classifyError(missing)?.code).to.equal('FAILED_PRECONDITION');
      const o = occurrence('p1', note('p1', 'a'), 'https://r/dup');
      await grafeas().insertOccurrences([o]);
      const duplicate = await rejection(grafeas().insertOccurrences([o]));
      // A generated id that repeats is a bug, not the client's to fix.
      expect(uow().classifyError(duplicate)).to.equal(undefined);
      expect((await grafeas().listOccurrences('p1', query('resourceUri="https://r/dup"'))).items).to.have.length(1);
    });

    it('gets, updates and deletes an occurrence only under its own project', async () => {
      const o = occurrence('p1', note('p1', 'a'), 'https://r/z@sha256:3');
      await grafeas().insertOccurrences([o]);
      const other = { projectId: 'p2', occurrenceId: o.occurrenceId };
      const own = { projectId: 'p1', occurrenceId: o.occurrenceId };
      expect(await grafeas().getOccurrence(own)).to.deep.equal(o.body);
      expect(await grafeas().getOccurrence(other)).to.equal(undefined);
      const changed = {
        ...o,
        resourceUri: 'https://r/z2',
        updateTime: at(99),
        body: { ...o.body, resourceUri: 'https://r/z2', remediation: 'r' },
      };
      expect(await grafeas().updateOccurrence({ ...changed, projectId: 'p2' })).to.equal(false);
      expect(await grafeas().updateOccurrence(changed)).to.equal(true);
      expect(await grafeas().getOccurrence(own)).to.deep.equal(changed.body);
      expect(
        (await grafeas().listOccurrences('p1', query('resourceUri="https://r/z2" AND updateTime="2026-01-01T00:01:39Z"'))).items,
      ).to.have.length(1);
      expect(await grafeas().deleteOccurrence(other)).to.equal(false);
      expect(await grafeas().deleteOccurrence(own)).to.equal(true);
      expect(await grafeas().deleteOccurrence(own)).to.equal(false);
    });

    it('updates a note in place', async () => {
      const n = note('p1', 'upd');
      await grafeas().insertNotes([n]);
      const body: JsonObject = { ...n.body, kind: 'BUILD', build: { builderVersion: '2' } };
      delete body.attestation;
      expect(await grafeas().updateNote({ ...n, kind: 'BUILD', updateTime: at(5), body })).to.equal(true);
      expect(await grafeas().getNote({ projectId: 'p1', noteId: 'upd' })).to.deep.equal(body);
      expect(await grafeas().noteKinds([{ projectId: 'p1', noteId: 'upd' }])).to.deep.equal(new Map([['projects/p1/notes/upd', 'BUILD']]));
      expect(await grafeas().updateNote({ ...n, noteId: 'absent' })).to.equal(false);
    });

    it('refuses to delete a note that occurrences reference (no dangling references), then deletes it once they are gone', async () => {
      await grafeas().insertNotes([note('p1', 'held')]);
      await grafeas().insertOccurrences([
        occurrence('p2', note('p1', 'held'), 'https://r/h1'),
        occurrence('p1', note('p1', 'held'), 'https://r/h2'),
      ]);
      const err = await rejection(grafeas().deleteNote({ projectId: 'p1', noteId: 'held' }));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
      expect(await grafeas().deleteNoteOccurrences({ projectId: 'p1', noteId: 'held' })).to.equal(2);
      expect(await grafeas().deleteNote({ projectId: 'p1', noteId: 'held' })).to.equal(true);
      expect(await grafeas().deleteNote({ projectId: 'p1', noteId: 'held' })).to.equal(false);
    });

    it('reports the kinds of existing notes and whether the project exists, in one call', async () => {
      const names = [
        { projectId: 'p1', noteId: 'a' },
        { projectId: 'p1', noteId: 'missing' },
        { projectId: 'p1', noteId: 'a' },
      ];
      expect([...(await grafeas().noteKinds(names)).entries()]).to.deep.equal([['projects/p1/notes/a', 'ATTESTATION']]);
      const targets = await grafeas().occurrenceTargets('p2', names);
      expect(targets.projectExists).to.equal(true);
      expect([...targets.kinds.entries()]).to.deep.equal([['projects/p1/notes/a', 'ATTESTATION']]);
      expect((await grafeas().occurrenceTargets('nope', names)).projectExists).to.equal(false);
    });

    describe('createOccurrences: occurrences with their audit events, all or none, in one write', () => {
      const draft = (projectId: string, noteId: string, uri: string, kind: string | undefined) => {
        const o = occurrence(projectId, note('p1', noteId), uri);
        const body = { ...o.body };
        delete body.kind;
        return { ...o, kind, body };
      };
      const changeEvent = (projectId: string, resource: string) => ({
        projectId,
        time: T0,
        actor: 'alice',
        method: 'CreateOccurrence',
        resource,
        requestId: 'r1',
        kind: 'change' as const,
        details: { transport: 'test' },
      });
      const events = (drafts: readonly { projectId: string; body: { name?: unknown } }[]) =>
        drafts.map((d) => changeEvent(d.projectId, String(d.body.name)));

      before(async () => {
        await createProjects(uow(), 'c1');
        await grafeas().insertNotes([note('p1', 'c-att'), note('p1', 'c-any', 'NOTE_KIND_UNSPECIFIED'), note('p1', 'c-build', 'BUILD')]);
      });

      it("writes every draft with its note's kind settled (in the record and the body) and its events, and reports them on commit", async () => {
        const drafts = [
          draft('c1', 'c-att', 'https://r/c1', undefined),
          draft('c1', 'c-any', 'https://r/c2', 'VULNERABILITY'),
          draft('c1', 'c-att', 'https://r/c3', 'ATTESTATION'),
        ];
        const seen: Committed[] = [];
        const found = await db()
          .unitOfWork((c) => seen.push(c))
          .singleWrite((s) => s.grafeas.createOccurrences('c1', drafts, events(drafts)));
        expect(found.created).to.equal(true);
        expect(found.projectExists).to.equal(true);
        expect([...found.kinds.entries()].sort()).to.deep.equal([
          ['projects/p1/notes/c-any', 'NOTE_KIND_UNSPECIFIED'],
          ['projects/p1/notes/c-att', 'ATTESTATION'],
        ]);
        expect(seen.map((c) => [...c.audited])).to.deep.equal([['c1']]);
        const kinds = ['ATTESTATION', 'VULNERABILITY', 'ATTESTATION'];
        for (const [i, d] of drafts.entries()) {
          const got = await grafeas().getOccurrence({ projectId: 'c1', occurrenceId: d.occurrenceId });
          expect(got).to.deep.equal({ ...d.body, kind: kinds[i] });
        }
        expect((await grafeas().listOccurrences('c1', query('kind="VULNERABILITY"'))).items).to.have.length(1);
        expect(await uow().stores.audit.pendingCount('c1')).to.equal(3);
      });

      const refusals: { desc: string; projectId: string; drafts: () => ReturnType<typeof draft>[]; projectExists: boolean }[] = [
        {
          desc: 'a project that does not exist',
          projectId: 'c-none',
          drafts: () => [draft('c-none', 'c-att', 'https://r/n1', undefined)],
          projectExists: false,
        },
        {
          desc: 'one note that does not exist among good ones',
          projectId: 'c1',
          drafts: () => [draft('c1', 'c-att', 'https://r/n2', undefined), draft('c1', 'c-ghost', 'https://r/n3', undefined)],
          projectExists: true,
        },
        {
          desc: 'one kind its note does not admit among good ones',
          projectId: 'c1',
          drafts: () => [draft('c1', 'c-att', 'https://r/n4', undefined), draft('c1', 'c-build', 'https://r/n5', 'ATTESTATION')],
          projectExists: true,
        },
      ];
      for (const r of refusals) {
        it(`writes nothing, not even an audit event, for ${r.desc}, and says what it found`, async () => {
          const drafts = r.drafts();
          const before = await uow().stores.audit.pendingCount();
          const seen: Committed[] = [];
          const found = await db()
            .unitOfWork((c) => seen.push(c))
            .singleWrite((s) => s.grafeas.createOccurrences(r.projectId, drafts, events(drafts)));
          expect(found.created).to.equal(false);
          expect(found.projectExists).to.equal(r.projectExists);
          for (const d of drafts) {
            const noteKind = found.kinds.get(`projects/p1/notes/${d.noteId}`);
            expect(noteKind, d.noteId).to.equal(
              d.noteId === 'c-ghost' ? undefined : { 'c-att': 'ATTESTATION', 'c-build': 'BUILD' }[d.noteId],
            );
            expect(await grafeas().getOccurrence({ projectId: r.projectId, occurrenceId: d.occurrenceId })).to.equal(undefined);
          }
          expect(await uow().stores.audit.pendingCount()).to.equal(before);
          expect(seen.flatMap((c) => [...c.audited])).to.deep.equal([]);
        });
      }

      it('writes nothing when its write rolls back with the transaction around it', async () => {
        const drafts = [draft('c1', 'c-att', 'https://r/tx', undefined)];
        const pending = await uow().stores.audit.pendingCount('c1');
        const err = await rejection(
          uow().transaction(async (s) => {
            expect((await s.grafeas.createOccurrences('c1', drafts, events(drafts))).created).to.equal(true);
            throw new Error('boom');
          }),
        );
        expect(err.message).to.equal('boom');
        expect(await grafeas().getOccurrence({ projectId: 'c1', occurrenceId: drafts[0]!.occurrenceId })).to.equal(undefined);
        expect(await uow().stores.audit.pendingCount('c1')).to.equal(pending);
      });
    });

    it('serializes transactions that lock the same (note, resource) pair until the first ends', async () => {
      const target = [
        { note: { projectId: 'p1', noteId: 'a' }, uri: 'https://r/lock' },
        { note: { projectId: 'p1', noteId: 'a' }, uri: 'https://r/lock' },
      ];
      const order = await lockOrder(
        (s) => s.grafeas.lockNoteResources(target),
        (s) => s.grafeas.lockNoteResources([...target].reverse()),
      );
      expect(order).to.deep.equal(['released', 'first done', 'second locked']);
    });
  });
}
