import { expect } from 'chai';
import type { ErrorCode } from '../../src/domain/api-error';
import { listQuery } from '../../src/domain/list-query';
import type { JsonObject } from '../../src/domain/message-types';
import type { RequestContext } from '../../src/domain/request-context';
import { anonymous, attestation, grafeasWorld, URI } from '../support/grafeas-world';
import type { MemoryServices } from '../support/memory-services';
import { apiError, outcome } from '../support/outcome';

/** Occurrences: kinds, note references, projects, batches and update masks, over the memory backend. */
describe('occurrence rules (memory backend)', () => {
  let s: MemoryServices;
  let viewer: RequestContext;
  let attestor: RequestContext;

  before(async () => {
    ({ s, viewer, attestor } = await grafeasWorld());
  });

  describe('creating an occurrence', () => {
    const cases: {
      desc: string;
      parent?: string;
      ctx?: () => RequestContext;
      occurrence: JsonObject;
      wantCode: 'OK' | ErrorCode;
      wantKind?: string;
    }[] = [
      {
        desc: 'details matching the note',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att', attestation },
        wantCode: 'OK',
        wantKind: 'ATTESTATION',
      },
      {
        desc: 'no details: the kind is the note’s',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/build' },
        wantCode: 'OK',
        wantKind: 'BUILD',
      },
      {
        desc: 'any details on a note of no kind',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/bare', attestation },
        wantCode: 'OK',
        wantKind: 'ATTESTATION',
      },
      {
        desc: 'a note of another project',
        occurrence: { resourceUri: URI, noteName: 'projects/q/notes/shared' },
        wantCode: 'OK',
        wantKind: 'ATTESTATION',
      },
      {
        desc: 'a name and kind sent by the client are the server’s to set',
        occurrence: { name: 'projects/x/occurrences/y', resourceUri: URI, noteName: 'projects/p/notes/att', kind: 'ATTESTATION' },
        wantCode: 'OK',
        wantKind: 'ATTESTATION',
      },
      {
        desc: 'details of another kind than the note',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att', build: { provenance: {} } },
        wantCode: 'INVALID_ARGUMENT',
      },
      {
        desc: 'a kind that contradicts the details',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att', kind: 'BUILD', attestation },
        wantCode: 'INVALID_ARGUMENT',
      },
      { desc: 'no resourceUri', occurrence: { noteName: 'projects/p/notes/att' }, wantCode: 'INVALID_ARGUMENT' },
      {
        desc: 'a resourceUri over 4096 characters',
        occurrence: { resourceUri: `https://r/${'x'.repeat(4100)}`, noteName: 'projects/p/notes/att' },
        wantCode: 'INVALID_ARGUMENT',
      },
      { desc: 'no noteName', occurrence: { resourceUri: URI }, wantCode: 'INVALID_ARGUMENT' },
      { desc: 'a malformed noteName', occurrence: { resourceUri: URI, noteName: 'notes/att' }, wantCode: 'INVALID_ARGUMENT' },
      { desc: 'a note that does not exist', occurrence: { resourceUri: URI, noteName: 'projects/p/notes/ghost' }, wantCode: 'NOT_FOUND' },
      {
        desc: 'a project that was never created',
        parent: 'projects/nowhere',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att' },
        wantCode: 'NOT_FOUND',
      },
      {
        desc: 'a malformed parent',
        parent: 'project/p',
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att' },
        wantCode: 'INVALID_ARGUMENT',
      },
      {
        desc: 'a viewer',
        ctx: () => viewer,
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att' },
        wantCode: 'PERMISSION_DENIED',
      },
      {
        desc: 'an attestor',
        ctx: () => attestor,
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att' },
        wantCode: 'OK',
        wantKind: 'ATTESTATION',
      },
      {
        desc: 'no token',
        ctx: () => anonymous,
        occurrence: { resourceUri: URI, noteName: 'projects/p/notes/att' },
        wantCode: 'UNAUTHENTICATED',
      },
    ];
    for (const c of cases) {
      it(c.desc, async () => {
        const parent = c.parent ?? 'projects/p';
        const call = s.occurrences.create(c.ctx?.() ?? s.admin, parent, c.occurrence);
        expect(await outcome(call)).to.equal(c.wantCode);
        if (c.wantCode !== 'OK') return;
        const created = await call;
        expect(created.kind).to.equal(c.wantKind);
        expect(created.name).to.match(/^projects\/p\/occurrences\/[0-9a-f-]{36}$/);
        expect(created.createTime).to.equal(s.clock.now());
        expect(await s.occurrences.get(s.admin, String(created.name))).to.deep.equal(created);
      });
    }
  });

  describe('batches of occurrences', () => {
    const good = { resourceUri: URI, noteName: 'projects/p/notes/att' };
    const cases: { desc: string; items: JsonObject[]; wantCode: 'OK' | ErrorCode; wantMessage?: RegExp }[] = [
      { desc: 'an empty batch', items: [], wantCode: 'INVALID_ARGUMENT' },
      { desc: 'more than 1000 items', items: Array.from({ length: 1001 }, () => good), wantCode: 'INVALID_ARGUMENT' },
      {
        desc: 'one item lacking its resourceUri',
        items: [good, { noteName: good.noteName }, good],
        wantCode: 'INVALID_ARGUMENT',
        wantMessage: /1 of 3 occurrences are invalid, nothing was created: occurrences\[1\]\.resourceUri/,
      },
      {
        desc: 'one item naming a missing note',
        items: [good, { ...good, noteName: 'projects/p/notes/ghost' }],
        wantCode: 'INVALID_ARGUMENT',
        wantMessage: /occurrences\[1\]\.noteName: note projects\/p\/notes\/ghost does not exist/,
      },
      { desc: '1000 good items', items: Array.from({ length: 1000 }, () => good), wantCode: 'OK' },
    ];
    for (const c of cases) {
      it(c.desc, async () => {
        const before = await count();
        const call = s.occurrences.batchCreate(s.admin, 'projects/p', c.items);
        expect(await outcome(call)).to.equal(c.wantCode);
        if (c.wantMessage) expect((await apiError(call)).message).to.match(c.wantMessage);
        expect(await count()).to.equal(before + (c.wantCode === 'OK' ? c.items.length : 0));
        if (c.wantCode === 'OK') expect(new Set((await call).map((o) => o.name)).size).to.equal(c.items.length);
      });
    }
    /** Occurrences on URI in project p, every page. */
    const count = async (): Promise<number> => {
      let n = 0;
      let pageToken: string | undefined;
      do {
        const page = await s.occurrences.list(
          s.admin,
          'projects/p',
          listQuery({ pageSize: 1000, filter: `resourceUri="${URI}"`, pageToken }),
        );
        n += page.items.length;
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      return n;
    };
  });

  describe('updating an occurrence', () => {
    let name: string;
    beforeEach(async () => {
      name = String(
        (
          await s.occurrences.create(s.admin, 'projects/p', {
            resourceUri: URI,
            noteName: 'projects/p/notes/att',
            remediation: 'r1',
            attestation,
          })
        ).name,
      );
    });
    const cases: { desc: string; patch: JsonObject; mask?: string[]; wantCode: 'OK' | ErrorCode; want?: JsonObject }[] = [
      { desc: 'the fields the body sets', patch: { remediation: 'r2' }, wantCode: 'OK', want: { remediation: 'r2', resourceUri: URI } },
      {
        desc: 'only the masked fields',
        patch: { remediation: 'r2', resourceUri: 'https://other' },
        mask: ['remediation'],
        wantCode: 'OK',
        want: { remediation: 'r2', resourceUri: URI },
      },
      {
        desc: 'a masked field absent from the body is cleared',
        patch: {},
        mask: ['remediation'],
        wantCode: 'OK',
        want: { remediation: undefined },
      },
      {
        desc: 'snake_case mask paths',
        patch: { resourceUri: 'https://r/2' },
        mask: ['resource_uri'],
        wantCode: 'OK',
        want: { resourceUri: 'https://r/2' },
      },
      { desc: 'a different note in the body without a mask', patch: { noteName: 'projects/q/notes/shared' }, wantCode: 'INVALID_ARGUMENT' },
      { desc: 'the name in the mask', patch: { name: 'x' }, mask: ['name'], wantCode: 'INVALID_ARGUMENT' },
      { desc: 'createTime in the mask', patch: {}, mask: ['create_time'], wantCode: 'INVALID_ARGUMENT' },
      { desc: 'an unknown mask path', patch: {}, mask: ['nope'], wantCode: 'INVALID_ARGUMENT' },
      {
        desc: 'details of another kind than the note',
        patch: { build: { provenance: {} } },
        mask: ['build'],
        wantCode: 'INVALID_ARGUMENT',
      },
      {
        desc: 'the note, by mask, to one of another kind',
        patch: { noteName: 'projects/p/notes/build' },
        mask: ['note_name'],
        wantCode: 'INVALID_ARGUMENT',
      },
    ];
    for (const c of cases) {
      it(c.desc, async () => {
        const before = await s.occurrences.get(s.admin, name);
        s.clock.advance(1000);
        const call = s.occurrences.update(s.admin, name, c.patch, c.mask);
        expect(await outcome(call)).to.equal(c.wantCode);
        const after = await s.occurrences.get(s.admin, name);
        if (c.wantCode !== 'OK') {
          expect(after).to.deep.equal(before);
          return;
        }
        for (const [k, v] of Object.entries(c.want ?? {})) expect(after[k], k).to.deep.equal(v);
        expect(after).to.deep.include({ name, kind: 'ATTESTATION', createTime: before.createTime, updateTime: s.clock.now() });
      });
    }
    it('answers NOT_FOUND for an occurrence that does not exist, or in another project', async () => {
      expect(
        await outcome(s.occurrences.update(s.admin, name.replace('projects/p/', 'projects/q/'), { remediation: 'x' }, undefined)),
      ).to.equal('NOT_FOUND');
      await s.occurrences.delete(s.admin, name);
      expect(await outcome(s.occurrences.update(s.admin, name, { remediation: 'x' }, undefined))).to.equal('NOT_FOUND');
      expect(await outcome(s.occurrences.delete(s.admin, name))).to.equal('NOT_FOUND');
      expect(await outcome(s.occurrences.get(s.admin, name))).to.equal('NOT_FOUND');
    });
  });
});
