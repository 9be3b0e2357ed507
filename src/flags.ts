/** One flag: a value (`--name V`, `--name=V`), or a switch (`--name`, `--name=false`); `multiple` keeps every value. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
}

/** The flags a command accepts, by kebab-case name (`http-port`); `--HTTP_PORT` and `--http_port` name the same flag. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Parsed flag values by kebab-case name. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** A mistake in how a command was called (exit code 2): an unknown flag, a missing value, a bad switch value. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

const TRUE_WORDS = /^(true|1|yes|on)$/i;
const FALSE_WORDS = /^(false|0|no|off)$/i;

/**
 * The one flag parser of the server and the CLI. Strict: a flag not in `specs` is an error naming the nearest
 * valid one. `--help` or `-h` anywhere before `--` answers `{ help: true }` without judging the rest, so that
 * asking for help never runs (or refuses) anything. Everything after `--` is positional.
 */
export function parseFlags(argv: readonly string[], specs: FlagSpecs): { values: FlagValues; positionals: string[]; help: boolean } {
  const end = argv.indexOf('--');
  const flagPart = end >= 0 ? argv.slice(0, end) : argv;
  if (flagPart.some((a) => a === '-h' || /^--help(=|$)/i.test(a))) return { values: {}, positionals: [], help: true };
  const values: FlagValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < flagPart.length; i++) {
    const arg = flagPart[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new FlagError(`unknown flag ${arg}; flags are spelt --name (see --help)`);
    const eq = arg.indexOf('=');
    const raw = arg.slice(2, eq >= 0 ? eq : undefined);
    const name = canonicalName(raw);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new FlagError(unknownFlag(raw, Object.keys(specs)));
    let value: string | boolean;
    if (spec.type === 'boolean') {
      const text = eq >= 0 ? arg.slice(eq + 1) : 'true';
      if (!TRUE_WORDS.test(text) && !FALSE_WORDS.test(text)) throw new FlagError(`--${raw} is a switch: give it alone, or =true / =false`);
      value = TRUE_WORDS.test(text);
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = flagPart[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(`--${raw} needs a value: --${raw} VALUE or --${raw}=VALUE`);
      value = next;
      i++;
    }
    if (spec.multiple) {
      const list = values[name];
      values[name] = [...(Array.isArray(list) ? list : []), String(value)];
    } else {
      values[name] = value;
    }
  }
  if (end >= 0) positionals.push(...argv.slice(end + 1));
  return { values, positionals, help: false };
}

/** `HTTP_PORT` / `http_port` / `http-port` → `http-port`. */
export function canonicalName(raw: string): string {
  return raw.toLowerCase().replace(/_/g, '-');
}

/** `http-port` → `HTTP_PORT`, the environment variable a configuration flag overrides. */
export function environmentName(flag: string): string {
  return flag.toUpperCase().replace(/-/g, '_');
}

/** The message for an unknown flag: the nearest valid one when it is plausibly a misspelling, in the caller's style. */
export function unknownFlag(raw: string, known: readonly string[]): string {
  const name = canonicalName(raw);
  let best: { flag: string; distance: number } | undefined;
  for (const flag of known) {
    const distance = editDistance(name, flag);
    if (!best || distance < best.distance) best = { flag, distance };
  }
  if (!best || best.distance > Math.max(3, Math.floor(name.length / 2))) return `unknown flag --${raw}; see --help for the flags`;
  const styled = /[A-Z_]/.test(raw) ? environmentName(best.flag) : best.flag;
  return `unknown flag --${raw}; did you mean --${styled}?`;
}

/** Edits (insert, delete, substitute, swap two neighbours) between two names. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
