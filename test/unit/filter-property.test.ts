import { expect } from 'chai';
import fc from 'fast-check';
import { ApiError } from '../../src/domain/api-error';
import { FILTER_OPERATORS, printFilter, type FilterExpr, type FilterValue } from '../../src/domain/filter/filter-ast';
import { MAX_FILTER_COMPARISONS, MAX_FILTER_LENGTH, parseFilter } from '../../src/domain/filter/parse-filter';
import { compileFilter, type FilterFields } from '../../src/store/filter-sql';

/** Drops source positions, which a printed-and-reparsed tree cannot keep. */
function withoutPositions(expr: FilterExpr): unknown {
  switch (expr.kind) {
    case 'compare':
      return { kind: 'compare', field: expr.field, op: expr.op, value: expr.value };
    case 'not':
      return { kind: 'not', operand: withoutPositions(expr.operand) };
    case 'and':
    case 'or':
      return { kind: expr.kind, operands: expr.operands.map(withoutPositions) };
  }
}

function comparisons(expr: FilterExpr): number {
  if (expr.kind === 'compare') return 1;
  if (expr.kind === 'not') return comparisons(expr.operand);
  return expr.operands.reduce((n, o) => n + comparisons(o), 0);
}

/** Maps every comparison in a tree, keeping its structure. */
function mapComparisons(expr: FilterExpr, fn: (c: FilterExpr & { kind: 'compare' }) => FilterExpr): FilterExpr {
  if (expr.kind === 'compare') return fn(expr);
  if (expr.kind === 'not') return { kind: 'not', operand: mapComparisons(expr.operand, fn) };
  return { kind: expr.kind, operands: expr.operands.map((o) => mapComparisons(o, fn)) };
}

const AT = { field: 0, op: 0, value: 0 };
/** Strings rich in characters the lexer, printer and LIKE escaping treat specially. */
const anyChar = fc.oneof(
  fc.constantFrom('*', '\\', '"', "'", '%', '_', '?', ' ', '\n', '\t', '(', ')', '=', ':', '-', 'AND', '\u2028', '\uD800', '\u{1F600}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const anyText = fc.string({ unit: anyChar, maxLength: 12 }).filter((s) => !s.includes('\u0000'));
const fieldName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}(\.[A-Za-z_][A-Za-z0-9_]{0,4}){0,2}$/)
  .filter((s) => s !== 'AND' && s !== 'OR' && s !== 'NOT');
const value: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.record({ kind: fc.constant('string' as const), text: anyText, wildcard: fc.boolean() }),
  fc.record({ kind: fc.constant('number' as const), text: fc.stringMatching(/^-?\d{1,6}(\.\d{1,3})?([eE][+-]?\d{1,2})?$/) }),
  fc.record({ kind: fc.constant('bool' as const), value: fc.boolean() }),
);

/** Random trees of the given comparisons, shaped as the parser builds them (and/or have 2+ operands). */
function trees(leaf: fc.Arbitrary<FilterExpr>): fc.Arbitrary<FilterExpr> {
  const { expr } = fc.letrec<{ expr: FilterExpr }>((tie) => ({
    expr: fc.oneof(
      { maxDepth: 5, depthIdentifier: 'filter' },
      leaf,
      fc.record({ kind: fc.constant('and' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 4 }) }),
      fc.record({ kind: fc.constant('or' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 4 }) }),
      fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }),
    ),
  }));
  return expr.filter((e) => comparisons(e) <= MAX_FILTER_COMPARISONS);
}

const anyComparison: fc.Arbitrary<FilterExpr> = fc.record({
  kind: fc.constant('compare' as const),
  field: fieldName,
  op: fc.constantFrom(...FILTER_OPERATORS),
  value,
  at: fc.constant(AT),
});

function expectInvalidArgument(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'INVALID_ARGUMENT') throw err;
    expect(err.message).to.match(/^(invalid filter|unknown filter field)/);
  }
}

describe('filter properties', () => {
  it('printing a tree and parsing it back gives the same tree', () => {
    fc.assert(
      fc.property(trees(anyComparison), (expr) => {
        const text = printFilter(expr);
        fc.pre(text.length <= MAX_FILTER_LENGTH);
        expect(withoutPositions(parseFilter(text)!)).to.deep.equal(withoutPositions(expr));
      }),
      { numRuns: 500 },
    );
  });

  const FIELDS: FilterFields = {
    a: { column: 'a', type: 'string' },
    kind: { column: 'kind', type: 'enum', enumValues: ['X', 'Y'] },
    t: { column: 't', type: 'timestamp' },
    n: { column: 'n', type: 'number' },
    b: { column: 'b', type: 'bool' },
  };
  const pieces = fc.constantFrom(
    ...['(', ')', ' ', 'AND', 'OR', 'NOT', '-', '=', '!=', '!', '<', '<=', '>', '>=', ':', '"', "'", '\\', '\\u', '*'],
    ...['a', 'kind', 't', 'n', 'b', 'x.y', '1', '-2.5e3', 'true', 'X', '2024-01-01T00:00:00Z', '\u0000', '\u{1F600}', '\uD800'],
  );
  const filterish = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.array(pieces, { maxLength: 60 }).map((p) => p.join('')),
    fc.array(pieces, { maxLength: 60 }).map((p) => p.join(' ')),
  );

  it('any text either parses and compiles or fails with INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(filterish, (text) => {
        expectInvalidArgument(() => {
          const expr = parseFilter(text);
          if (expr !== undefined) compileFilter(expr, FIELDS);
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('long runs of nesting and operators fail cleanly', () => {
    fc.assert(
      fc.property(fc.array(pieces, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 2000 }), (unit, times) => {
        expectInvalidArgument(() => parseFilter(unit.join('').repeat(times)));
      }),
      { numRuns: 300 },
    );
  });

  it('string comparisons put every user value in bindings, one per "?"', () => {
    const MARK = '\u2603';
    const STRING_FIELDS: FilterFields = {
      resourceUri: { column: 'resource_uri', type: 'string' },
      noteName: { column: `('projects/' || note_project_id || '/notes/' || note_id)`, type: 'string' },
    };
    const stringComparison: fc.Arbitrary<FilterExpr> = fc
      .record({
        field: fc.constantFrom('resourceUri', 'noteName'),
        op: fc.constantFrom(...FILTER_OPERATORS),
        text: anyText,
        wildcard: fc.boolean(),
      })
      .map(({ field, op, text, wildcard }) => ({
        kind: 'compare' as const,
        field,
        op,
        value: { kind: 'string' as const, text: MARK + text, wildcard: wildcard && (op === '=' || op === '!=' || op === ':') },
        at: AT,
      }));
    fc.assert(
      fc.property(trees(stringComparison), (expr) => {
        const { sql, bindings } = compileFilter(expr, STRING_FIELDS);
        expect(sql).not.to.contain(MARK);
        expect(sql).not.to.contain('??');
        expect(sql.split('?').length - 1).to.equal(bindings.length);
        expect(bindings).to.have.length(comparisons(expr));
        for (const b of bindings) expect(b).to.be.a('string').and.contain(MARK);
        // The SQL depends only on the tree's shape, never on the values in it.
        const blank = mapComparisons(expr, (c) => ({ ...c, value: { ...c.value, text: MARK } as FilterValue }));
        expect(compileFilter(blank, STRING_FIELDS).sql).to.equal(sql);
      }),
      { numRuns: 500 },
    );
  });
});
