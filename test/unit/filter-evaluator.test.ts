import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/domain/api-error';
import { FILTER_OPERATORS, type FilterExpr, type FilterValue } from '../../src/domain/filter/filter-ast';
import { parseFilter } from '../../src/domain/filter/parse-filter';
import { compileFilter } from '../../src/store/filter-sql';
import { compareCodePoints, filterPredicate, timestampMicros } from '../../src/store/memory/filter-evaluator';
import { FILTER_CASES, FILTER_ROW_VALUES, FILTER_ROWS, FILTER_TABLE_FIELDS } from '../support/filter-table';

function ids(filter: string): number[] {
  const keep = filterPredicate(parseFilter(filter)!, FILTER_TABLE_FIELDS, FILTER_ROW_VALUES);
  return FILTER_ROWS.filter(keep).map((r) => r.id);
}

/** The error a function throws, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('in-memory filter evaluator', () => {
  describe('keeps the rows Postgres keeps (the cases filter-postgres.test.ts runs there)', () => {
    for (const [filter, want] of FILTER_CASES) it(filter, () => expect(ids(filter)).to.deep.equal(want));
  });

  it('refuses every filter the SQL compiler refuses, with the same error, before reading a row', () => {
    const AT = { field: 0, op: 0, value: 0 };
    const value: fc.Arbitrary<FilterValue> = fc.oneof(
      fc.record({
        kind: fc.constant('string' as const),
        text: fc.constantFrom('', 'a', 'BUILD', 'true', '2024-01-01T00:00:00Z', '2024-02-30T00:00:00Z', 'x*y'),
        wildcard: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('number' as const), text: fc.constantFrom('0', '1', '2', '3', '-1.5', '1e3', '1e1001') }),
      fc.record({ kind: fc.constant('bool' as const), value: fc.boolean() }),
    );
    const leaf: fc.Arbitrary<FilterExpr> = fc.record({
      kind: fc.constant('compare' as const),
      field: fc.constantFrom('s', 'ts', 'kind', 'n', 'b', 'nope'),
      op: fc.constantFrom(...FILTER_OPERATORS),
      value,
      at: fc.constant(AT),
    });
    const { expr } = fc.letrec<{ expr: FilterExpr }>((tie) => ({
      expr: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'e' },
        leaf,
        fc.record({ kind: fc.constant('and' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
        fc.record({ kind: fc.constant('or' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
        fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }),
      ),
    }));
    let refused = 0;
    fc.assert(
      fc.property(expr, (e) => {
        const sqlError = thrown(() => compileFilter(e, FILTER_TABLE_FIELDS));
        const memoryError = thrown(() => filterPredicate(e, FILTER_TABLE_FIELDS, FILTER_ROW_VALUES));
        if (sqlError === undefined) {
          expect(memoryError).to.equal(undefined);
          return;
        }
        refused++;
        expect(memoryError).to.be.instanceOf(ApiError);
        expect({ code: (memoryError as ApiError).code, message: (memoryError as ApiError).message }).to.deep.equal({
          code: (sqlError as ApiError).code,
          message: (sqlError as ApiError).message,
        });
      }),
      { numRuns: 400 },
    );
    expect(refused).to.be.greaterThan(0);
  });

  it('orders strings by code point, as COLLATE "C" orders their UTF-8 bytes', () => {
    const unit = fc.constantFrom('a', 'B', '~', '\u00e9', '\uffff', '\ue000', '\u{1F600}', '\u{10000}', '\ud7ff');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 4 }), fc.string({ unit, maxLength: 4 }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).to.equal(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 500 },
    );
  });

  describe('reads timestamps as Postgres reads them into timestamptz', () => {
    const cases: [string, string, bigint][] = [
      ['the epoch', '1970-01-01T00:00:00Z', 0n],
      ['an offset', '1970-01-01T01:00:00+01:00', 0n],
      ['a negative offset', '1969-12-31T23:00:00-01:00', 0n],
      ['a leap day', '2024-02-29T00:00:00Z', BigInt(Date.UTC(2024, 1, 29)) * 1000n],
      ['a year before 100', '0050-06-01T00:00:00Z', BigInt(Date.parse('0050-06-01T00:00:00Z')) * 1000n],
      ['microseconds', '2024-01-01T00:00:00.123456Z', BigInt(Date.UTC(2024, 0, 1)) * 1000n + 123456n],
      ['a seventh digit rounding up', '2024-01-01T00:00:00.0000006Z', BigInt(Date.UTC(2024, 0, 1)) * 1000n + 1n],
      ['a half rounding to even (down)', '2024-01-01T00:00:00.0000025Z', BigInt(Date.UTC(2024, 0, 1)) * 1000n + 2n],
      ['nine nines carrying into the next second', '2024-01-01T00:00:00.999999999Z', BigInt(Date.UTC(2024, 0, 1, 0, 0, 1)) * 1000n],
      ['lower-case t and z', '2024-01-01t00:00:00z', BigInt(Date.UTC(2024, 0, 1)) * 1000n],
    ];
    for (const [desc, text, want] of cases) it(desc, () => expect(timestampMicros(text)).to.equal(want));
  });
});
