import { expect } from 'chai';
import fc from 'fast-check';
import knexFactory, { type Knex } from 'knex';
import type { FilterExpr, FilterOperator } from '../../src/domain/filter/filter-ast';
import { parseFilter } from '../../src/domain/filter/parse-filter';
import { compileFilter } from '../../src/store/filter-sql';
import { FILTER_CASES, FILTER_ROWS, FILTER_TABLE_FIELDS } from '../support/filter-table';
import { defaultBackend } from '../support/test-database';

/** Runs compiled filters through knex whereRaw against a temp table (real Postgres when configured, else embedded). */
describe('filter SQL on Postgres', function () {
  let db: Knex;
  before(async function () {
    const url = await defaultBackend().createDatabase();
    db = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 1 } });
    await db.raw(`CREATE TEMP TABLE filter_t (id int PRIMARY KEY, s text, s2 text, ts timestamptz, k text, n bigint, f float8, b bool)`);
    await db('filter_t').insert(FILTER_ROWS);
  });

  after(async () => {
    if (db) await db.destroy();
  });

  async function ids(expr: FilterExpr): Promise<number[]> {
    const { sql, bindings } = compileFilter(expr, FILTER_TABLE_FIELDS);
    const rows: { id: number }[] = await db('filter_t')
      .where('id', '>', 0)
      .whereRaw(sql, bindings as Knex.RawBinding[])
      .select('id')
      .orderBy('id');
    return rows.map((r) => r.id);
  }

  for (const [filter, want] of FILTER_CASES) {
    it(filter, async () => expect(await ids(parseFilter(filter)!)).to.deep.equal(want));
  }

  it('agrees with a two-valued reference evaluator on random string filters', async () => {
    const AT = { field: 0, op: 0, value: 0 };
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', '_', '%', '\\', '*', '?', "'", ' '), maxLength: 3 });
    const leaf: fc.Arbitrary<FilterExpr> = fc
      .record({
        field: fc.constantFrom('s', 's2'),
        op: fc.constantFrom<FilterOperator>('=', '!=', '<', '<=', '>', '>=', ':'),
        text,
        wildcard: fc.boolean(),
      })
      .map(({ field, op, text, wildcard }) => ({
        kind: 'compare' as const,
        field,
        op,
        value: { kind: 'string' as const, text, wildcard: wildcard && (op === '=' || op === '!=' || (op === ':' && text === '')) },
        at: AT,
      }));
    const { expr } = fc.letrec<{ expr: FilterExpr }>((tie) => ({
      expr: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'pg' },
        leaf,
        fc.record({ kind: fc.constant('and' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
        fc.record({ kind: fc.constant('or' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
        fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(expr, async (e) => {
        const want = FILTER_ROWS.filter((r) => evaluate(e, r)).map((r) => r.id);
        expect(await ids(e)).to.deep.equal(want);
      }),
      { numRuns: 300 },
    );
  });
});

/** What a filter over the string columns s and s2 should mean, with a NULL column failing every comparison but !=. */
function evaluate(expr: FilterExpr, row: { s: string | null; s2: string | null }): boolean {
  switch (expr.kind) {
    case 'and':
      return expr.operands.every((o) => evaluate(o, row));
    case 'or':
      return expr.operands.some((o) => evaluate(o, row));
    case 'not':
      return !evaluate(expr.operand, row);
    case 'compare': {
      const col = expr.field === 's' ? row.s : row.s2;
      const v = expr.value.kind === 'string' ? expr.value : { text: '', wildcard: false };
      if (expr.op === ':' && v.wildcard) return col !== null && col !== '';
      if (col === null) return expr.op === '!=';
      switch (expr.op) {
        case '=':
          return v.wildcard ? col.startsWith(v.text) : col === v.text;
        case '!=':
          return v.wildcard ? !col.startsWith(v.text) : col !== v.text;
        case ':':
          return col.includes(v.text);
        case '<':
          return col < v.text;
        case '<=':
          return col <= v.text;
        case '>':
          return col > v.text;
        case '>=':
          return col >= v.text;
      }
    }
  }
}
