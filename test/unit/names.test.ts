import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/domain/api-error';
import { noteName, occurrenceName, parseNoteName, parseOccurrenceName, parseProjectName, projectName } from '../../src/domain/names';

const idChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split(''));
const projectId = fc
  .tuple(fc.constantFrom(...'abcxyz019'.split('')), fc.array(idChar, { maxLength: 40 }))
  .map(([first, rest]) => first + rest.join(''));
const noteId = fc
  .array(fc.constantFrom(...'abcXYZ019._~@+=,-'.split('')), { minLength: 1, maxLength: 60 })
  .map((a) => a.join(''))
  .filter((s) => s !== '.' && s !== '..');

function onlyInvalidArgument(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal('INVALID_ARGUMENT');
  }
}

describe('resource names', () => {
  it('round-trips valid project, note and occurrence names', () => {
    fc.assert(
      fc.property(projectId, noteId, fc.uuid(), (p, n, o) => {
        expect(parseProjectName(projectName(p))).to.equal(p);
        expect(noteName(parseNoteName(`projects/${p}/notes/${n}`))).to.equal(`projects/${p}/notes/${n}`);
        const occ = parseOccurrenceName(`projects/${p}/occurrences/${o}`);
        expect(occurrenceName(occ)).to.equal(`projects/${p}/occurrences/${o.toLowerCase()}`);
      }),
    );
  });

  it('answers any other string with INVALID_ARGUMENT and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        onlyInvalidArgument(() => parseProjectName(s));
        onlyInvalidArgument(() => parseNoteName(s));
        onlyInvalidArgument(() => parseOccurrenceName(s));
      }),
      { numRuns: 2000 },
    );
  });

  const cases: { desc: string; parse: (s: string) => unknown; name: string }[] = [
    { desc: 'a project name with a slash in the id', parse: parseProjectName, name: 'projects/a/b' },
    { desc: 'a project name with an empty id', parse: parseProjectName, name: 'projects/' },
    { desc: 'a note name under the wrong collection', parse: parseNoteName, name: 'projects/p/occurrences/n' },
    { desc: 'a note id with a colon', parse: parseNoteName, name: 'projects/p/notes/a:b' },
    { desc: 'a note id of ".."', parse: parseNoteName, name: 'projects/p/notes/..' },
    { desc: 'an occurrence id that is not a UUID', parse: parseOccurrenceName, name: 'projects/p/occurrences/123' },
    {
      desc: 'a location-qualified name (handled by the transports, not here)',
      parse: parseNoteName,
      name: 'projects/p/locations/l/notes/n',
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.desc} with a message showing the expected shape`, () => {
      expect(() => c.parse(c.name))
        .to.throw(ApiError)
        .with.property('message')
        .that.matches(/must (look like|be)|id must/);
    });
  }
});
