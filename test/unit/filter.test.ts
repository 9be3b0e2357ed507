import { expect } from 'chai';
import { ApiError } from '../../src/domain/api-error';
import { printFilter, printValue, type FilterExpr } from '../../src/domain/filter/filter-ast';
import { parseFilter } from '../../src/domain/filter/parse-filter';

/** A compact rendering of a tree: [field op value] for comparisons, (and …) / (or …) / (not …) above them. */
export function shape(expr: FilterExpr): string {
  switch (expr.kind) {
    case 'compare':
      return `[${expr.field} ${expr.op} ${printValue(expr.value)}]`;
    case 'not':
      return `(not ${shape(expr.operand)})`;
    case 'and':
    case 'or':
      return `(${expr.kind} ${expr.operands.map(shape).join(' ')})`;
  }
}

/** Calls fn and returns the ApiError it throws, failing the test if it throws nothing or something else. */
export function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    return err as ApiError;
  }
  expect.fail('expected an ApiError, nothing was thrown');
}

describe('parseFilter', () => {
  it('returns undefined for no filter', () => {
    for (const text of [undefined, '', ' ', '\t\n  ']) expect(parseFilter(text)).to.equal(undefined);
  });

  const cases: { desc: string; filter: string; want: string }[] = [
    { desc: 'equality with a bare word', filter: 'kind=ATTESTATION', want: '[kind = "ATTESTATION"]' },
    { desc: 'spaces around the operator', filter: 'kind = ATTESTATION', want: '[kind = "ATTESTATION"]' },
    {
      desc: 'every operator',
      filter: 'a=1 b!=1 c<1 d<=1 e>1 f>=1 g:1',
      want: '(and [a = 1] [b != 1] [c < 1] [d <= 1] [e > 1] [f >= 1] [g : 1])',
    },
    {
      desc: 'double-quoted string',
      filter: 'resourceUri="https://r.example/a@sha256:00"',
      want: '[resourceUri = "https://r.example/a@sha256:00"]',
    },
    { desc: 'single-quoted string', filter: "noteName='projects/p/notes/n'", want: '[noteName = "projects/p/notes/n"]' },
    { desc: 'escapes', filter: String.raw`a="q\"b\\s\n\t\r\u00e9\'"`, want: String.raw`[a = "q\"b\\s\n\t\ré'"]` },
    { desc: 'single-quoted with escaped quote', filter: String.raw`a='it\'s "x"'`, want: String.raw`[a = "it's \"x\""]` },
    { desc: 'a raw newline inside quotes', filter: 'a="x\ny"', want: String.raw`[a = "x\ny"]` },
    { desc: 'integer', filter: 'a=42', want: '[a = 42]' },
    { desc: 'negative float with exponent', filter: 'a=-1.5e-3', want: '[a = -1.5e-3]' },
    { desc: 'negative number after spaces', filter: 'a >= -7', want: '[a >= -7]' },
    { desc: 'quoted number stays a string', filter: 'a="42"', want: '[a = "42"]' },
    { desc: 'booleans', filter: 'a=true b=false', want: '(and [a = true] [b = false])' },
    { desc: 'quoted boolean stays a string', filter: 'a="true"', want: '[a = "true"]' },
    { desc: 'bare value with a dash', filter: 'a=-foo', want: '[a = "-foo"]' },
    { desc: 'unquoted timestamp', filter: 'createTime>2024-01-01T00:00:00Z', want: '[createTime > "2024-01-01T00:00:00Z"]' },
    { desc: 'unquoted value with colons', filter: 'resourceUri=https://r/a@sha256:ab', want: '[resourceUri = "https://r/a@sha256:ab"]' },
    { desc: 'dotted field', filter: 'labels.env = prod', want: '[labels.env = "prod"]' },
    { desc: 'bare prefix wildcard', filter: 'noteName=projects/p/*', want: '[noteName = "projects/p/*"]' },
    { desc: 'quoted prefix wildcard', filter: 'noteName="projects/p/*"', want: '[noteName = "projects/p/*"]' },
    { desc: 'escaped star is literal', filter: String.raw`a="x\*"`, want: String.raw`[a = "x\*"]` },
    { desc: 'inner star is literal', filter: 'a=x*y', want: String.raw`[a = "x\*y"]` },
    { desc: 'presence', filter: 'a:*', want: '[a : "*"]' },
    { desc: 'implicit AND', filter: 'a=1 b=2 c=3', want: '(and [a = 1] [b = 2] [c = 3])' },
    { desc: 'explicit AND flattens', filter: 'a=1 AND b=2 AND c=3', want: '(and [a = 1] [b = 2] [c = 3])' },
    { desc: 'implicit and explicit AND mix', filter: 'a=1 b=2 AND c=3', want: '(and [a = 1] [b = 2] [c = 3])' },
    { desc: 'OR', filter: 'a=1 OR b=2 OR c=3', want: '(or [a = 1] [b = 2] [c = 3])' },
    { desc: 'OR binds tighter than AND (right)', filter: 'a=1 AND b=2 OR c=3', want: '(and [a = 1] (or [b = 2] [c = 3]))' },
    { desc: 'OR binds tighter than AND (left)', filter: 'a=1 OR b=2 AND c=3', want: '(and (or [a = 1] [b = 2]) [c = 3])' },
    { desc: 'OR binds tighter than juxtaposition', filter: 'a=1 b=2 OR c=3', want: '(and [a = 1] (or [b = 2] [c = 3]))' },
    { desc: 'parentheses override', filter: '(a=1 AND b=2) OR c=3', want: '(or (and [a = 1] [b = 2]) [c = 3])' },
    { desc: 'parenthesised AND is not flattened', filter: '(a=1 AND b=2) AND c=3', want: '(and (and [a = 1] [b = 2]) [c = 3])' },
    { desc: 'redundant parentheses', filter: '((a=1))', want: '[a = 1]' },
    { desc: 'NOT', filter: 'NOT a=1', want: '(not [a = 1])' },
    { desc: 'NOT binds tighter than OR', filter: 'NOT a=1 OR b=2', want: '(or (not [a = 1]) [b = 2])' },
    { desc: 'NOT before parentheses without a space', filter: 'NOT(a=1 OR b=2)', want: '(not (or [a = 1] [b = 2]))' },
    { desc: 'minus negation', filter: '-a=1', want: '(not [a = 1])' },
    { desc: 'minus before parentheses', filter: '-(a=1 b=2)', want: '(not (and [a = 1] [b = 2]))' },
    { desc: 'repeated negation', filter: 'NOT -a=1', want: '(not (not [a = 1]))' },
    { desc: 'minus in a sequence', filter: 'a=1 -b=2', want: '(and [a = 1] (not [b = 2]))' },
    { desc: 'keywords are case-sensitive', filter: 'and=1 or=2 not=3', want: '(and [and = 1] [or = 2] [not = 3])' },
    { desc: 'lower-case and is a field, not AND', filter: 'a=1 and=2', want: '(and [a = 1] [and = 2])' },
    {
      desc: 'Grafeas example',
      filter:
        'kind="ATTESTATION" AND (resourceUri="https://r/a@sha256:00" OR resourceUri="https://r/b@sha256:11") AND noteName:"/notes/build"',
      want: '(and [kind = "ATTESTATION"] (or [resourceUri = "https://r/a@sha256:00"] [resourceUri = "https://r/b@sha256:11"]) [noteName : "/notes/build"])',
    },
  ];
  for (const c of cases) {
    it(c.desc, () => expect(shape(parseFilter(c.filter)!)).to.equal(c.want));
  }

  it('records 0-based positions of field, operator and value', () => {
    const expr = parseFilter('  kind  !=  "BUILD"');
    expect(expr).to.deep.include({ kind: 'compare', at: { field: 2, op: 8, value: 12 } });
  });

  it('prints what it parses', () => {
    const text = 'a = 1 AND (b = "x" OR NOT c : "y*") AND NOT (d = true AND e = "\\*")';
    expect(printFilter(parseFilter(text)!)).to.equal(text);
  });

  const errors: { filter: string; message: string }[] = [
    { filter: 'kind=', message: 'invalid filter at position 5: expected a value after "=", got end of input' },
    { filter: 'resourceUri = ', message: 'invalid filter at position 14: expected a value after "=", got end of input' },
    { filter: 'a = = 1', message: 'invalid filter at position 4: expected a value after "=", got "="' },
    { filter: 'a=AND', message: 'invalid filter at position 2: expected a value after "=", got "AND"' },
    { filter: 'a=(b)', message: 'invalid filter at position 2: expected a value after "=", got "("' },
    {
      filter: 'kind',
      message: 'invalid filter at position 4: expected a comparison operator (= != < <= > >= :) after "kind", got end of input',
    },
    { filter: 'a AND b', message: 'invalid filter at position 2: expected a comparison operator (= != < <= > >= :) after "a", got "AND"' },
    { filter: 'a=1 AND', message: 'invalid filter at position 7: expected a field name or "(" after "AND", got end of input' },
    { filter: 'a=1 OR OR b=2', message: 'invalid filter at position 7: expected a field name or "(" after "OR", got "OR"' },
    { filter: 'AND a=1', message: 'invalid filter at position 0: expected a field name or "(", got "AND"' },
    { filter: 'NOT', message: 'invalid filter at position 3: expected a field name or "(" after "NOT", got end of input' },
    { filter: '-', message: 'invalid filter at position 1: expected a field name or "(" after "-", got end of input' },
    { filter: '=1', message: 'invalid filter at position 0: expected a field name or "(", got "="' },
    { filter: '"a"=1', message: 'invalid filter at position 0: expected a field name or "(", got string "a"' },
    {
      filter: '1a=1',
      message:
        'invalid filter at position 0: expected a field name or "(", got "1a" (a field name is letters, digits and "_", dot-separated)',
    },
    { filter: 'a=1 "b"', message: 'invalid filter at position 4: expected AND, OR or another comparison, got string "b"' },
    { filter: '()', message: 'invalid filter at position 1: expected a field name or "(", got ")"' },
    { filter: '(a=1', message: 'invalid filter at position 4: expected ")" to close the "(" at position 0, got end of input' },
    { filter: 'a=1)', message: 'invalid filter at position 3: unexpected ")" with no matching "("' },
    { filter: 'a="abc', message: 'invalid filter at position 2: unterminated string: no closing " for the quote here' },
    { filter: "a='abc\\'", message: "invalid filter at position 2: unterminated string: no closing ' for the quote here" },
    {
      filter: 'a="x\\q"',
      message: 'invalid filter at position 4: unknown escape "\\q" in string; valid escapes: \\" \\\' \\\\ \\* \\n \\t \\r \\uXXXX',
    },
    {
      filter: 'a="x\\\n"',
      message:
        'invalid filter at position 4: unknown escape "\\" followed by U+000A in string; valid escapes: \\" \\\' \\\\ \\* \\n \\t \\r \\uXXXX',
    },
    { filter: 'a="\\u12"', message: 'invalid filter at position 3: a \\u escape needs exactly 4 hex digits, as in \\u00e9' },
    { filter: 'a="\\u0000"', message: 'invalid filter at position 3: U+0000 (NUL) is not allowed in a filter' },
    { filter: 'a=x\u0000', message: 'invalid filter at position 3: U+0000 (NUL) is not allowed in a filter' },
    { filter: 'a!1', message: 'invalid filter at position 1: unexpected "!"; the not-equal operator is "!=" and negation is NOT or "-"' },
  ];
  for (const c of errors) {
    it(`rejects ${JSON.stringify(c.filter)}`, () => {
      const err = apiErrorOf(() => parseFilter(c.filter));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.equal(c.message);
      expect(err.violations).to.deep.equal([{ field: 'filter', description: c.message }]);
    });
  }

  it('accepts 4096 characters and rejects 4097', () => {
    const ok = `a="${'x'.repeat(4092)}"`;
    expect(ok.length).to.equal(4096);
    expect(parseFilter(ok)).to.have.property('kind', 'compare');
    const err = apiErrorOf(() => parseFilter(`${ok} `));
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.equal('invalid filter: longer than 4096 characters (got 4097)');
  });

  it('accepts 64 levels of nesting and rejects 65', () => {
    expect(shape(parseFilter(`${'('.repeat(64)}a=1${')'.repeat(64)}`)!)).to.equal('[a = 1]');
    const err = apiErrorOf(() => parseFilter(`${'('.repeat(65)}a=1${')'.repeat(65)}`));
    expect(err.message).to.equal('invalid filter at position 64: parentheses and negations nested deeper than 64 levels');
    const mixed = apiErrorOf(() => parseFilter(`${'NOT ('.repeat(33)}a=1${')'.repeat(33)}`));
    expect(mixed.message).to.match(/^invalid filter at position 160: .*deeper than 64/);
  });

  for (const [desc, text] of [
    ['4000 "("', '('.repeat(4000)],
    ['4000 "-"', '-'.repeat(4000)],
    ['1000 "NOT "', 'NOT '.repeat(1000)],
    ['2000 "(-"', '(-'.repeat(2000)],
  ] as const) {
    it(`rejects ${desc} with INVALID_ARGUMENT, not a stack overflow`, () => {
      const err = apiErrorOf(() => parseFilter(text));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.contain('nested deeper than 64 levels');
    });
  }

  it('accepts 100 comparisons and rejects 101', () => {
    const terms = (n: number): string => Array.from({ length: n }, (_, i) => `a=${i}`).join(' ');
    expect(parseFilter(terms(100))).to.have.nested.property('operands.length', 100);
    const err = apiErrorOf(() => parseFilter(terms(101)));
    expect(err.message).to.equal(`invalid filter at position ${terms(100).length + 1}: more than 100 comparisons in one filter`);
  });

  it('rejects a filter that is not a string (a repeated query parameter)', () => {
    const err = apiErrorOf(() => parseFilter(['a=1', 'b=2'] as unknown as string));
    expect(err.code).to.equal('INVALID_ARGUMENT');
    expect(err.message).to.equal('filter must be a single string');
  });

  it('shortens long values it echoes in errors', () => {
    const err = apiErrorOf(() => parseFilter(`${'a'.repeat(100)}`));
    expect(err.message).to.contain(`"${'a'.repeat(40)}…"`);
    expect(err.message).not.to.contain('a'.repeat(41));
  });
});
