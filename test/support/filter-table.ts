import type { FilterFields } from '../../src/store/filter-sql';
import type { FieldValues } from '../../src/store/memory/filter-evaluator';

// A small table with every filter type, NULLs and LIKE metacharacters, and what each filter should keep: the SQL
// compiler runs these on Postgres (filter-postgres.test.ts), the in-memory evaluator in memory (filter-evaluator.test.ts).

/** The columns of the filter test table (filter_t) and their filter types. */
export const FILTER_TABLE_FIELDS: FilterFields = {
  s: { column: 's', type: 'string' },
  s2: { column: 's2', type: 'string' },
  ts: { column: 'ts', type: 'timestamp' },
  kind: { column: 'k', type: 'enum', enumValues: ['UNSPECIFIED', 'BUILD', 'ATTESTATION'] },
  n: { column: 'n', type: 'number' },
  f: { column: 'f', type: 'number' },
  b: { column: 'b', type: 'bool' },
};
/** One row of the filter test table. */
export type FilterRow = {
  id: number;
  s: string | null;
  s2: string | null;
  ts: string | null;
  k: string | null;
  n: number | null;
  f: number | null;
  b: boolean | null;
};
/** The filter test table's rows: every type, with NULLs and LIKE metacharacters. */
export const FILTER_ROWS: FilterRow[] = [
  { id: 1, s: 'abc', s2: 'a_c', ts: '2024-01-01T00:00:00Z', k: 'BUILD', n: 1, f: 1.5, b: true },
  { id: 2, s: 'a_c', s2: 'a%c', ts: '2024-06-01T12:00:00Z', k: 'ATTESTATION', n: -5, f: -0.5, b: false },
  { id: 3, s: 'a%c', s2: '', ts: null, k: null, n: null, f: null, b: null },
  { id: 4, s: 'a\\c', s2: 'B', ts: '2023-12-31T23:59:59.999999Z', k: 'BUILD', n: 1000, f: 1e3, b: true },
  { id: 5, s: null, s2: 'abc', ts: '2024-01-01T01:00:00+01:00', k: 'UNSPECIFIED', n: 0, f: 0, b: false },
  { id: 6, s: 'Abc', s2: null, ts: '2025-01-01T00:00:00Z', k: 'ATTESTATION', n: 2, f: 2.25, b: null },
  { id: 7, s: '', s2: 'a*', ts: '2024-01-01T00:00:00.5Z', k: 'BUILD', n: 3, f: 3, b: true },
  { id: 8, s: "it's", s2: 'a?b', ts: '2024-01-01T00:00:00Z', k: 'BUILD', n: 4, f: 4, b: true },
];

/** Filters over the test table and the ids of the rows each keeps, in id order. */
export const FILTER_CASES: [string, number[]][] = [
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

/** How the evaluator reads the test table's columns. */
export const FILTER_ROW_VALUES: FieldValues<FilterRow> = {
  s: (r) => r.s,
  s2: (r) => r.s2,
  ts: (r) => r.ts,
  kind: (r) => r.k,
  n: (r) => r.n,
  f: (r) => r.f,
  b: (r) => r.b,
};
