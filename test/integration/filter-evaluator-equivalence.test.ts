import { expect } from 'chai';
import fc from 'fast-check';
import type { Knex } from 'knex';
import { ApiError } from '../../src/domain/api-error';
import { FILTER_OPERATORS, type FilterExpr, type FilterOperator, type FilterValue } from '../../src/domain/filter/filter-ast';
import { openDatabase } from '../../src/store/database';
import { compileFilter } from '../../src/store/filter-sql';
import { filterPredicate } from '../../src/store/memory/filter-evaluator';
import { FILTER_ROW_VALUES, FILTER_TABLE_FIELDS, type FilterRow } from '../support/filter-table';
import { defaultBackend } from '../support/test-database';

const CHARS = ['a', 'b', 'A', '_', '%', '\\', '*', '?', "'", ' ', '\u00e9', '\uffff', '\u{1F600}'];
const text = fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 3 });
const TIMES = [
  '2024-01-01T00:00:00Z',
  '2024-01-01T00:00:00.000001Z',
  '2024-01-01T00:00:00.0000005Z',
  '2024-01-01T00:00:00.0000015Z',
  '2024-01-01T01:00:00+01:00',
  '2023-12-31T23:59:59.999999999Z',
  '2024-02-29T12:30:00.5-05:30',
  '2024-01-01T00:00:00-15:59',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
];
const time = fc.oneof(
  fc.constantFrom(...TIMES),
  fc
    .record({
      day: fc.integer({ min: 1, max: 3 }),
      second: fc.integer({ min: 0, max: 2 }),
      fraction: fc.stringMatching(/^(\.\d{1,9})?$/),
      offset: fc.constantFrom('Z', '+00:00', '-00:30', '+15:59'),
    })
    .map(({ day, second, fraction, offset }) => `2024-01-0${day}T00:00:0${second}${fraction}${offset}`),
);
const NUMBERS = ['0', '1', '-1', '2', '1.5', '-0.5', '1e0', '10e-1', '2.0000000000000000001', '99999999999999999999', '-1e2', '1E+1'];
const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 4 });

/** Rows with NULLs, LIKE metacharacters, astral characters, timestamps at the edge of microsecond rounding. */
const rowsArb: fc.Arbitrary<FilterRow[]> = fc.array(
  fc.record({
    id: fc.constant(0),
    s: nullable(text),
    s2: nullable(text),
    ts: nullable(time),
    k: nullable(fc.constantFrom('UNSPECIFIED', 'BUILD', 'ATTESTATION')),
    n: nullable(fc.integer({ min: -3, max: 3 })),
    f: fc.constant(null),
    b: nullable(fc.boolean()),
  }),
  { minLength: 40, maxLength: 40 },
);

const AT = { field: 0, op: 0, value: 0 };
const value: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.record({ kind: fc.constant('string' as const), text, wildcard: fc.boolean() }),
  fc.record({ kind: fc.constant('string' as const), text: time, wildcard: fc.constant(false) }),
  fc.record({
    kind: fc.constant('string' as const),
    text: fc.constantFrom('BUILD', 'ATTESTATION', 'true', 'false'),
    wildcard: fc.constant(false),
  }),
  fc.record({ kind: fc.constant('number' as const), text: fc.constantFrom(...NUMBERS) }),
  fc.record({ kind: fc.constant('bool' as const), value: fc.boolean() }),
);
const compare = (field: fc.Arbitrary<string>, op: fc.Arbitrary<FilterOperator>, v: fc.Arbitrary<FilterValue>): fc.Arbitrary<FilterExpr> =>
  fc.record({ kind: fc.constant('compare' as const), field, op, value: v, at: fc.constant(AT) });
const ORDERED: FilterOperator[] = ['=', '!=', '<', '<=', '>', '>='];
/** Mostly comparisons that fit their field (so that they split the rows), some of anything (so that both refuse alike). */
const leaf: fc.Arbitrary<FilterExpr> = fc.oneof(
  compare(
    fc.constantFrom('s', 's2'),
    fc.constantFrom(...FILTER_OPERATORS),
    fc.record({ kind: fc.constant('string' as const), text, wildcard: fc.boolean() }),
  ),
  compare(
    fc.constant('ts'),
    fc.constantFrom(...ORDERED),
    fc.record({ kind: fc.constant('string' as const), text: time, wildcard: fc.constant(false) }),
  ),
  compare(
    fc.constant('kind'),
    fc.constantFrom<FilterOperator>('=', '!='),
    fc.record({
      kind: fc.constant('string' as const),
      text: fc.constantFrom('BUILD', 'ATTESTATION', 'UNSPECIFIED'),
      wildcard: fc.constant(false),
    }),
  ),
  compare(
    fc.constant('n'),
    fc.constantFrom(...ORDERED),
    fc.record({ kind: fc.constant('number' as const), text: fc.constantFrom(...NUMBERS) }),
  ),
  compare(
    fc.constant('b'),
    fc.constantFrom<FilterOperator>('=', '!='),
    fc.record({ kind: fc.constant('bool' as const), value: fc.boolean() }),
  ),
  compare(
    fc.constantFrom('s', 's2', 'ts', 'kind', 'n', 'b'),
    fc.constant<FilterOperator>(':'),
    fc.constant<FilterValue>({ kind: 'string', text: '', wildcard: true }),
  ),
  compare(fc.constantFrom('s', 's2', 'ts', 'kind', 'n', 'b'), fc.constantFrom(...FILTER_OPERATORS), value),
);
const { expr: filterArb } = fc.letrec<{ expr: FilterExpr }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'f' },
    leaf,
    fc.record({ kind: fc.constant('and' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('or' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }),
  ),
}));

// The memory backend's filter evaluator against the SQL compiler on a real Postgres: same rows, same errors.
describe('in-memory filter evaluator ≡ SQL filter on Postgres', function () {
  this.timeout(120000);
  let db: Knex;
  let rows: FilterRow[];

  before(async () => {
    db = openDatabase({ url: await defaultBackend().createDatabase(), poolMax: 1 });
    await db.raw('CREATE TABLE filter_t (id int PRIMARY KEY, s text, s2 text, ts timestamptz, k text, n bigint, f float8, b bool)');
    rows = fc.sample(rowsArb, { numRuns: 1, seed: 20261201 })[0]!.map((r, i) => ({ ...r, id: i + 1 }));
    await db('filter_t').insert(rows);
  });
  after(async () => db?.destroy());

  async function onPostgres(expr: FilterExpr): Promise<number[] | ApiError> {
    let compiled;
    try {
      compiled = compileFilter(expr, FILTER_TABLE_FIELDS);
    } catch (err) {
      return err as ApiError;
    }
    const found: { id: number }[] = await db('filter_t')
      .whereRaw(compiled.sql, compiled.bindings as Knex.RawBinding[])
      .select('id')
      .orderBy('id');
    return found.map((r) => r.id);
  }

  function inMemory(expr: FilterExpr): number[] | ApiError {
    try {
      const keep = filterPredicate(expr, FILTER_TABLE_FIELDS, FILTER_ROW_VALUES);
      return rows.filter(keep).map((r) => r.id);
    } catch (err) {
      return err as ApiError;
    }
  }

  const describeResult = (r: number[] | ApiError): unknown => (r instanceof ApiError ? { code: r.code, message: r.message } : r);

  it('keeps the same rows or refuses with the same error, for random filters over every field type', async () => {
    let kept = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(filterArb, async (expr) => {
        const want = await onPostgres(expr);
        expect(describeResult(inMemory(expr))).to.deep.equal(describeResult(want));
        if (want instanceof ApiError) refused++;
        else if (want.length > 0 && want.length < rows.length) kept++;
      }),
      { numRuns: 600, seed: 7 },
    );
    // The run compared filters that split the rows and filters both refused, not only trivial ones.
    expect(kept).to.be.greaterThan(200);
    expect(refused).to.be.greaterThan(20);
  });

  it('compares timestamps at the microsecond Postgres keeps, for every stored time', async () => {
    for (const t of TIMES) {
      const expr: FilterExpr = { kind: 'compare', field: 'ts', op: '=', value: { kind: 'string', text: t, wildcard: false }, at: AT };
      expect(inMemory(expr)).to.deep.equal(await onPostgres(expr));
    }
  });
});
