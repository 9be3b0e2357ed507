import { expect } from 'chai';
import fc from 'fast-check';
import knexFactory, { type Knex } from 'knex';
import type { FilterExpr, FilterOperator } from '../../src/domain/filter/filter-ast';
import { parseFilter } from '../../src/domain/filter/parse-filter';
import { compileFilter, type FilterFields } from '../../src/store/filter-sql';

/** Runs compiled filters through knex whereRaw against a temp table; only when TEST_DATABASE_URL is set. */
describe('filter SQL on Postgres (TEST_DATABASE_URL)', function () {
  let db: Knex;
  const FIELDS: FilterFields = {
    s: { column: 's', type: 'string' },
    s2: { column: 's2', type: 'string' },
    ts: { column: 'ts', type: 'timestamp' },
    kind: { column: 'k', type: 'enum', enumValues: ['UNSPECIFIED', 'BUILD', 'ATTESTATION'] },
    n: { column: 'n', type: 'number' },
    f: { column: 'f', type: 'number' },
    b: { column: 'b', type: 'bool' },
  };
  type Row = {
    id: number;
    s: string | null;
    s2: string | null;
    ts: string | null;
    k: string | null;
    n: number | null;
    f: number | null;
    b: boolean | null;
  };
  const ROWS: Row[] = [
    { id: 1, s: 'abc', s2: 'a_c', ts: '2024-01-01T00:00:00Z', k: 'BUILD', n: 1, f: 1.5, b: true },
    { id: 2, s: 'a_c', s2: 'a%c', ts: '2024-06-01T12:00:00Z', k: 'ATTESTATION', n: -5, f: -0.5, b: false },
    { id: 3, s: 'a%c', s2: '', ts: null, k: null, n: null, f: null, b: null },
    { id: 4, s: 'a\\c', s2: 'B', ts: '2023-12-31T23:59:59.999999Z', k: 'BUILD', n: 1000, f: 1e3, b: true },
    { id: 5, s: null, s2: 'abc', ts: '2024-01-01T01:00:00+01:00', k: 'UNSPECIFIED', n: 0, f: 0, b: false },
    { id: 6, s: 'Abc', s2: null, ts: '2025-01-01T00:00:00Z', k: 'ATTESTATION', n: 2, f: 2.25, b: null },
    { id: 7, s: '', s2: 'a*', ts: '2024-01-01T00:00:00.5Z', k: 'BUILD', n: 3, f: 3, b: true },
    { id: 8, s: "it's", s2: 'a?b', ts: '2024-01-01T00:00:00Z', k: 'BUILD', n: 4, f: 4, b: true },
  ];

  before(async function () {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) return this.skip();
    db = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 1 } });
    await db.raw(`CREATE TEMP TABLE filter_t (id int PRIMARY KEY, s text, s2 text, ts timestamptz, k text, n bigint, f float8, b bool)`);
    await db('filter_t').insert(ROWS);
  });

  after(async () => {
    if (db) await db.destroy();
  });

  async function ids(expr: FilterExpr): Promise<number[]> {
    const { sql, bindings } = compileFilter(expr, FIELDS);
    const rows: { id: number }[] = await db('filter_t')
      .where('id', '>', 0)
      .whereRaw(sql, bindings as Knex.RawBinding[])
      .select('id')
      .orderBy('id');
    return rows.map((r) => r.id);
  }

  const cases: [string, number[]][] = [
    ['s="abc"', [1]],
    ['s!="abc"', [2, 3, 4, 5, 6, 7, 8]],
    ['NOT s="abc"', [2, 3, 4, 5, 6, 7, 8]],
    ['s="a_*"', [2]],
    ['s="a%*"', [3]],
    ['s="a\\\\*"', [4]],
    ['s=a*', [1, 2, 3, 4]],
    ['s!=a*', [5, 6, 7, 8]],
    ['s:"_"', [2]],
    ['s:"%"', [3]],
    ['s:"\'"', [8]],
    ['s2:"?"', [8]],
    ['s2="a\\*"', [7]],
    ['s:*', [1, 2, 3, 4, 6, 8]],
    ['s<"a"', [6, 7]],
    ['s>="a_c"', [1, 2, 8]],
    ['ts="2024-01-01T00:00:00Z"', [1, 5, 8]],
    ['ts>"2024-01-01T00:00:00+00:00"', [2, 6, 7]],
    ['ts<2024-01-01T00:00:00Z', [4]],
    ['ts!="2024-01-01T01:00:00+01:00"', [2, 3, 4, 6, 7]],
    ['ts:*', [1, 2, 4, 5, 6, 7, 8]],
    ['kind=BUILD', [1, 4, 7, 8]],
    ['kind!=1', [2, 3, 5, 6]],
    ['n>=2', [4, 6, 7, 8]],
    ['n<1.5', [1, 2, 5]],
    ['n=1e3', [4]],
    ['n!=-5', [1, 3, 4, 5, 6, 7, 8]],
    ['f>1.5', [4, 6, 7, 8]],
    ['f=2.25', [6]],
    ['n>99999999999999999999999', []],
    ['b=true', [1, 4, 7, 8]],
    ['b!=true', [2, 3, 5, 6]],
    ['NOT b=true', [2, 3, 5, 6]],
    ['kind=BUILD AND s=a* OR n=3', [1, 4, 7]],
    ['kind=ATTESTATION AND s=a* OR n=3', [2]],
    ['(kind=ATTESTATION AND s=a*) OR n=3', [2, 7]],
    ['kind=ATTESTATION OR b=false n<0', [2]],
    ['-(s=a* OR s2=a*)', [6]],
    ['NOT (s="abc" OR s2="a%c")', [3, 4, 5, 6, 7, 8]],
  ];
  for (const [filter, want] of cases) {
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
        const want = ROWS.filter((r) => evaluate(e, r)).map((r) => r.id);
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
