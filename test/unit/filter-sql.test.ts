import { expect } from 'chai';
import { parseFilter } from '../../src/domain/filter/parse-filter';
import { compileFilter, type FilterFields } from '../../src/store/filter-sql';
import { apiErrorOf } from './filter.test';

const FIELDS: FilterFields = {
  resourceUri: { column: 'resource_uri', type: 'string' },
  noteName: { column: 'note_name', type: 'string' },
  createTime: { column: 'create_time', type: 'timestamp' },
  kind: { column: 'kind', type: 'enum', enumValues: ['NOTE_KIND_UNSPECIFIED', 'VULNERABILITY', 'BUILD'] },
  score: { column: 'score', type: 'number' },
  deleted: { column: 'deleted', type: 'bool' },
};

const compile = (filter: string): { sql: string; bindings: unknown[] } => compileFilter(parseFilter(filter)!, FIELDS);

describe('compileFilter', () => {
  const cases: { filter: string; sql: string; bindings: unknown[] }[] = [
    { filter: 'resourceUri="https://r/a"', sql: 'resource_uri = ?', bindings: ['https://r/a'] },
    { filter: 'resourceUri!="x"', sql: 'resource_uri IS DISTINCT FROM ?', bindings: ['x'] },
    { filter: 'resourceUri<"m"', sql: 'resource_uri COLLATE "C" < ?', bindings: ['m'] },
    { filter: 'resourceUri>=m', sql: 'resource_uri COLLATE "C" >= ?', bindings: ['m'] },
    { filter: 'resourceUri:"sha256:"', sql: "resource_uri LIKE ? ESCAPE '\\'", bindings: ['%sha256:%'] },
    { filter: 'resourceUri:"50%_off\\\\"', sql: "resource_uri LIKE ? ESCAPE '\\'", bindings: ['%50\\%\\_off\\\\%'] },
    { filter: 'noteName="projects/p/notes/*"', sql: "note_name LIKE ? ESCAPE '\\'", bindings: ['projects/p/notes/%'] },
    { filter: 'noteName=a_b*', sql: "note_name LIKE ? ESCAPE '\\'", bindings: ['a\\_b%'] },
    { filter: 'noteName!=a*', sql: "(note_name LIKE ? ESCAPE '\\') IS NOT TRUE", bindings: ['a%'] },
    { filter: 'noteName="a\\*"', sql: 'note_name = ?', bindings: ['a*'] },
    { filter: 'noteName:*', sql: "(note_name IS NOT NULL AND note_name <> '')", bindings: [] },
    { filter: 'noteName=42', sql: 'note_name = ?', bindings: ['42'] },
    { filter: 'noteName=true', sql: 'note_name = ?', bindings: ['true'] },
    { filter: 'createTime>"2024-01-01T00:00:00Z"', sql: 'create_time > CAST(? AS timestamptz)', bindings: ['2024-01-01T00:00:00Z'] },
    {
      filter: 'createTime<=2024-02-29t23:59:59.123456789+05:30',
      sql: 'create_time <= CAST(? AS timestamptz)',
      bindings: ['2024-02-29T23:59:59.123456789+05:30'],
    },
    {
      filter: 'createTime!="2024-01-01T00:00:00z"',
      sql: 'create_time IS DISTINCT FROM CAST(? AS timestamptz)',
      bindings: ['2024-01-01T00:00:00Z'],
    },
    { filter: 'createTime:*', sql: 'create_time IS NOT NULL', bindings: [] },
    { filter: 'kind=BUILD', sql: 'kind = ?', bindings: ['BUILD'] },
    { filter: 'kind="VULNERABILITY"', sql: 'kind = ?', bindings: ['VULNERABILITY'] },
    { filter: 'kind!=2', sql: 'kind IS DISTINCT FROM ?', bindings: ['BUILD'] },
    { filter: 'score>=-1.5', sql: 'score >= CAST(? AS numeric)', bindings: ['-1.5'] },
    { filter: 'score="3"', sql: 'score = CAST(? AS numeric)', bindings: ['3'] },
    { filter: 'score!=1e3', sql: 'score IS DISTINCT FROM CAST(? AS numeric)', bindings: ['1e3'] },
    { filter: 'deleted=false', sql: 'deleted = ?', bindings: [false] },
    { filter: 'deleted!="true"', sql: 'deleted IS DISTINCT FROM ?', bindings: [true] },
    { filter: 'NOT kind=BUILD', sql: '(kind = ?) IS NOT TRUE', bindings: ['BUILD'] },
    { filter: '-(kind=BUILD OR score>1)', sql: '(kind = ? OR score > CAST(? AS numeric)) IS NOT TRUE', bindings: ['BUILD', '1'] },
    { filter: 'NOT NOT deleted=true', sql: '((deleted = ?) IS NOT TRUE) IS NOT TRUE', bindings: [true] },
    {
      filter: 'kind=BUILD AND resourceUri="u1" OR resourceUri="u2"',
      sql: '(kind = ? AND (resource_uri = ? OR resource_uri = ?))',
      bindings: ['BUILD', 'u1', 'u2'],
    },
    {
      filter: '(kind=BUILD resourceUri="u1") OR createTime<"2020-01-01T00:00:00Z"',
      sql: '((kind = ? AND resource_uri = ?) OR create_time < CAST(? AS timestamptz))',
      bindings: ['BUILD', 'u1', '2020-01-01T00:00:00Z'],
    },
  ];
  for (const c of cases) {
    it(c.filter, () => expect(compile(c.filter)).to.deep.equal({ sql: c.sql, bindings: c.bindings }));
  }

  it('keeps injection attempts in bindings', () => {
    const { sql, bindings } = compile(`resourceUri="x' OR 1=1; DROP TABLE occurrences; --" noteName:"?"`);
    expect(sql).to.equal("(resource_uri = ? AND note_name LIKE ? ESCAPE '\\')");
    expect(bindings).to.deep.equal(["x' OR 1=1; DROP TABLE occurrences; --", '%?%']);
  });

  const errors: { filter: string; message: string }[] = [
    {
      filter: 'foo=1',
      message: 'unknown filter field "foo" at position 0; filterable fields: resourceUri, noteName, createTime, kind, score, deleted',
    },
    { filter: 'kind=BUILD toString=1', message: 'unknown filter field "toString" at position 11; filterable fields:' },
    { filter: 'constructor=1', message: 'unknown filter field "constructor" at position 0;' },
    {
      filter: 'createTime:"2024"',
      message:
        'invalid filter at position 10: operator ":" is not supported for timestamp field "createTime"; use = != < <= > >= (or ":*" to test presence)',
    },
    {
      filter: 'createTime>yesterday',
      message:
        'invalid filter at position 11: timestamp field "createTime" needs an RFC 3339 timestamp such as "2024-01-01T00:00:00Z" or "2024-01-01T02:00:00+02:00", got "yesterday"',
    },
    {
      filter: 'createTime>"2024-01-01T00:00:00"',
      message: 'invalid filter at position 11: timestamp field "createTime" needs an RFC 3339',
    },
    { filter: 'createTime>"2023-02-29T00:00:00Z"', message: 'got "2023-02-29T00:00:00Z"' },
    { filter: 'createTime>"2024-01-01T24:00:00Z"', message: 'got "2024-01-01T24:00:00Z"' },
    { filter: 'createTime>"2024-01-01T00:00:60Z"', message: 'got "2024-01-01T00:00:60Z"' },
    { filter: 'createTime>"0000-01-01T00:00:00Z"', message: 'got "0000-01-01T00:00:00Z"' },
    {
      filter: 'createTime>"2024-01-01T00:00:00+16:00"',
      message: 'timestamp field "createTime" needs a UTC offset from -15:59 to +15:59, got "2024-01-01T00:00:00+16:00"',
    },
    { filter: 'createTime>1700000000', message: 'got 1700000000' },
    { filter: 'createTime="2024*"', message: 'invalid filter at position 11: a wildcard "*" only works on string fields' },
    {
      filter: 'kind=ATTESTATION',
      message:
        'invalid filter at position 5: enum field "kind" needs one of NOTE_KIND_UNSPECIFIED, VULNERABILITY, BUILD (or its number), got "ATTESTATION"',
    },
    { filter: 'kind=3', message: 'invalid filter at position 5: enum field "kind" needs one of' },
    { filter: 'kind=-1', message: 'got -1' },
    { filter: 'kind="1"', message: 'got "1"' },
    { filter: 'kind="build"', message: 'got "build"' },
    { filter: 'kind>BUILD', message: 'invalid filter at position 4: operator ">" is not supported for enum field "kind"; use = !=' },
    { filter: 'kind:BUILD', message: 'operator ":" is not supported for enum field "kind"' },
    {
      filter: 'score=abc',
      message: 'invalid filter at position 6: number field "score" needs a number such as 42, -1.5 or 1e3, got "abc"',
    },
    { filter: 'score=1e99999', message: 'got 1e99999' },
    { filter: 'score:1', message: 'operator ":" is not supported for number field "score"' },
    { filter: 'deleted=1', message: 'invalid filter at position 8: bool field "deleted" needs true or false, got 1' },
    { filter: 'deleted<true', message: 'operator "<" is not supported for bool field "deleted"' },
    {
      filter: 'resourceUri<"a*"',
      message: 'invalid filter at position 12: a trailing "*" (prefix match) only works with =, != and :; to compare with a literal star',
    },
  ];
  for (const c of errors) {
    it(`rejects ${c.filter}`, () => {
      const err = apiErrorOf(() => compile(c.filter));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.contain(c.message);
    });
  }

  it('refuses a column with a "?" in it, which knex would take for a placeholder', () => {
    const err = apiErrorOf(() => compileFilter(parseFilter('a=1')!, { a: { column: "coalesce(a, '?')", type: 'string' } }));
    expect(err.code).to.equal('INTERNAL');
  });
});
