import {
  type CelInput,
  type CelValue,
  CelScalar,
  celEnv,
  celFunc,
  isCelError,
  isCelList,
  isCelMap,
  mapType,
  parse,
  plan,
  unparse,
} from '@bufbuild/cel';

/** Longest condition accepted (characters). */
export const MAX_CONDITION_LENGTH = 4096;
/**
 * The cost limit of one evaluation: how many elements comprehensions (`all`, `exists`, `exists_one`, `map`,
 * `filter`) may visit in total, nested ones included. Everything else a condition does is bounded by its length.
 */
export const MAX_CONDITION_COST = 100_000;

/** The variables a condition sees. */
export const CONDITION_VARIABLES = ['statement', 'predicate', 'subject', 'image'] as const;

/** What a condition is evaluated over: the verified statement, its predicate, the subject for the image, the image. */
export interface ConditionInput {
  /** The whole in-toto statement (`_type`, `subject`, `predicateType`, `predicate`). */
  readonly statement: Record<string, unknown>;
  readonly predicate: Record<string, unknown>;
  /** The statement's subject entry whose sha256 is the image's digest (`name`, `digest`). */
  readonly subject: Record<string, unknown>;
  /** The image: `reference` (repository@digest), `repository`, `digest`. */
  readonly image: Record<string, unknown>;
}

/** A condition's verdict on one statement; `why` says what failed, for the denial message. */
export type ConditionVerdict = { holds: true } | { holds: false; why: string };

/** A compiled condition: parsed and checked once, evaluated many times. */
export interface CompiledCondition {
  readonly source: string;
  evaluate(input: ConditionInput): ConditionVerdict;
}

type Parsed = ReturnType<typeof parse>;
type Expr = Parsed['expr'];

const BUDGET_FUNCTION = 'attestd_cost';
/** The remaining budget of the evaluation under way (evaluations are synchronous, so one at a time). */
let budget = 0;

class CostLimitExceeded extends Error {}

/** Charges every comprehension's range before it is walked: the sum of their sizes is the work done. */
const charge = celFunc(BUDGET_FUNCTION, [CelScalar.DYN], CelScalar.DYN, (range: CelValue) => {
  budget -= isCelList(range) || isCelMap(range) ? range.size : 1;
  if (budget < 0) throw new CostLimitExceeded(`the condition exceeds its cost limit of ${MAX_CONDITION_COST} iterations`);
  return range;
});

const DYN_MAP = mapType(CelScalar.STRING, CelScalar.DYN);
const ENV = celEnv({
  variables: { statement: DYN_MAP, predicate: DYN_MAP, subject: DYN_MAP, image: DYN_MAP },
  funcs: [charge],
});

/** Why a condition does not compile: the parser's message, or what attestd refuses. */
export class ConditionSyntaxError extends Error {}

/** Every sub-expression of `e`, `e` first. */
function* nodes(e: Expr | undefined): Generator<Expr> {
  if (e?.exprKind === undefined) return;
  yield e;
  const k = e.exprKind;
  switch (k.case) {
    case 'selectExpr':
      yield* nodes(k.value.operand);
      break;
    case 'callExpr':
      yield* nodes(k.value.target);
      for (const a of k.value.args) yield* nodes(a);
      break;
    case 'listExpr':
      for (const a of k.value.elements) yield* nodes(a);
      break;
    case 'structExpr':
      for (const entry of k.value.entries) {
        if (entry.keyKind.case === 'mapKey') yield* nodes(entry.keyKind.value);
        yield* nodes(entry.value);
      }
      break;
    case 'comprehensionExpr': {
      const c = k.value;
      for (const x of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) yield* nodes(x);
      break;
    }
    case 'constExpr':
    case 'identExpr':
    case undefined:
      break;
  }
}

/** Identifiers a comprehension binds (its iteration and accumulator variables). */
function boundNames(root: Expr): Set<string> {
  const bound = new Set<string>();
  for (const e of nodes(root)) {
    if (e.exprKind.case === 'comprehensionExpr') {
      bound.add(e.exprKind.value.iterVar);
      if (e.exprKind.value.iterVar2) bound.add(e.exprKind.value.iterVar2);
      bound.add(e.exprKind.value.accuVar);
    }
  }
  return bound;
}

/** Wraps each comprehension's range in the cost function, so that walking it is charged. */
function instrument(root: Expr): void {
  for (const e of [...nodes(root)]) {
    if (e.exprKind.case !== 'comprehensionExpr') continue;
    const c = e.exprKind.value;
    const range = c.iterRange;
    if (range === undefined) continue;
    c.iterRange = {
      ...range,
      exprKind: { case: 'callExpr', value: { $typeName: 'cel.expr.Expr.Call', function: BUDGET_FUNCTION, args: [range] } },
    };
  }
}

/** A JSON value as CEL input: objects become maps (CEL reads plain objects as messages). */
function toCel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null) {
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value as CelInput;
}

/** A value as a condition's explanation shows it: strings in single quotes, everything cut to 100 characters. */
function show(value: unknown): string {
  const text =
    typeof value === 'string'
      ? `'${value}'`
      : typeof value === 'bigint'
        ? String(value)
        : isCelMap(value) || isCelList(value)
          ? unparseValue(value)
          : JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function unparseValue(value: unknown): string {
  if (isCelList(value)) return `[${[...value].map(show).join(', ')}]`;
  if (isCelMap(value)) return `{${[...value.entries()].map(([k, v]) => `${show(k)}: ${show(v)}`).join(', ')}}`;
  return show(value);
}

/** `a.b.c.d` for a field selection rooted at a variable, else undefined. */
function fieldPath(e: Expr | undefined): string[] | undefined {
  if (e === undefined) return undefined;
  if (e.exprKind.case === 'identExpr') return [e.exprKind.value.name];
  if (e.exprKind.case === 'selectExpr' && !e.exprKind.value.testOnly) {
    const base = fieldPath(e.exprKind.value.operand);
    return base && [...base, e.exprKind.value.field];
  }
  return undefined;
}

/** The conjuncts of `a && b && …`, in order. */
function conjuncts(e: Expr): Expr[] {
  if (e.exprKind.case === 'callExpr' && e.exprKind.value.function === '_&&_') return e.exprKind.value.args.flatMap(conjuncts);
  return [e];
}

/** Comparisons and string tests whose field operand an explanation shows. */
const EXPLAINED = new Set(['_==_', '_!=_', '_<_', '_<=_', '_>_', '_>=_', '@in', 'startsWith', 'endsWith', 'contains', 'matches']);

type Bindings = Record<(typeof CONDITION_VARIABLES)[number], CelInput>;

/** Runs a planned expression within the cost limit; an error or a thrown exception is a failure with its message. */
function run(program: (b: Bindings) => unknown, bindings: Bindings): { value: unknown } | { error: string } {
  budget = MAX_CONDITION_COST;
  try {
    const value = program(bindings);
    if (isCelError(value)) return { error: value.message };
    return { value };
  } catch (err) {
    return { error: err instanceof CostLimitExceeded ? err.message : `evaluation failed: ${(err as Error).message}` };
  }
}

/**
 * Says why a condition that did not hold failed: the first conjunct that is not true and, for a comparison or string
 * test of a field, the field's value ("builder.id was 'https://other.example'"). `shown` is the uninstrumented parse
 * of `root` (with the macros' source), for the words.
 */
function explain(root: Expr, shown: Parsed, bindings: Bindings): string {
  const parts = conjuncts(root);
  const words = conjuncts(shown.expr);
  for (const [i, part] of parts.entries()) {
    const outcome = run(plan(ENV, part) as (b: Bindings) => unknown, bindings);
    if ('error' in outcome) return `condition failed: ${outcome.error}`;
    if (outcome.value === true) continue;
    const call = part.exprKind.case === 'callExpr' ? part.exprKind.value : undefined;
    if (call && EXPLAINED.has(call.function)) {
      for (const operand of [call.target, ...call.args]) {
        const path = fieldPath(operand);
        if (operand === undefined || path === undefined || path.length < 2) continue;
        const value = run(plan(ENV, operand) as (b: Bindings) => unknown, bindings);
        if ('value' in value) return `${path.slice(-2).join('.')} was ${show(value.value)}`;
      }
    }
    return `${unparse({ ...shown, expr: words[i]! })} is ${show(outcome.value)}`;
  }
  return 'it is not true';
}

/**
 * Compiles a CEL condition (cel-spec, @bufbuild/cel): parsed once, its identifiers checked against the variables
 * (statement, predicate, subject, image), comprehensions charged against {@link MAX_CONDITION_COST}. Throws
 * ConditionSyntaxError with the parser's message when it does not compile.
 */
export function compileCondition(source: string): CompiledCondition {
  if (source.length > MAX_CONDITION_LENGTH) throw new ConditionSyntaxError(`it is longer than ${MAX_CONDITION_LENGTH} characters`);
  let root: Expr;
  try {
    root = parse(source).expr;
  } catch (err) {
    throw new ConditionSyntaxError(err instanceof RangeError ? 'it nests too deeply' : (err as Error).message);
  }
  const bound = boundNames(root);
  for (const e of nodes(root)) {
    if (e.exprKind.case !== 'identExpr') continue;
    const name = e.exprKind.value.name;
    if (!bound.has(name) && !(CONDITION_VARIABLES as readonly string[]).includes(name)) {
      throw new ConditionSyntaxError(`undeclared reference to '${name}' (the variables are ${CONDITION_VARIABLES.join(', ')})`);
    }
  }
  const shown = parse(source);
  instrument(root);
  let program: (b: Bindings) => unknown;
  try {
    program = plan(ENV, root) as (b: Bindings) => unknown;
  } catch (err) {
    throw new ConditionSyntaxError((err as Error).message);
  }
  return {
    source,
    evaluate(input: ConditionInput): ConditionVerdict {
      let bindings: Bindings;
      try {
        bindings = {
          statement: toCel(input.statement),
          predicate: toCel(input.predicate),
          subject: toCel(input.subject),
          image: toCel(input.image),
        };
      } catch {
        return { holds: false, why: 'condition failed: the statement nests too deeply' };
      }
      const outcome = run(program, bindings);
      if ('error' in outcome) return { holds: false, why: `condition failed: ${outcome.error}` };
      if (outcome.value === true) return { holds: true };
      if (typeof outcome.value !== 'boolean') return { holds: false, why: `condition failed: it gave ${show(outcome.value)}, not a bool` };
      try {
        return { holds: false, why: explain(root, shown, bindings) };
      } catch {
        return { holds: false, why: 'the condition is false' };
      }
    },
  };
}

/** Compiled conditions by source text: each condition of a policy revision compiles once, then is shared. */
const compiled = new Map<string, CompiledCondition>();
const MAX_COMPILED = 1000;

/** The compiled form of a condition that compiled when its policy was written. */
export function compiledCondition(source: string): CompiledCondition {
  let found = compiled.get(source);
  if (found === undefined) {
    found = compileCondition(source);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(source, found);
  }
  return found;
}
