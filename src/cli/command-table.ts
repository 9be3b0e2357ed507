import { FlagError, parseFlags, type FlagSpec, type FlagSpecs } from '../flags';
import { ApiCallError, ApiClient, clientSettings, DEFAULT_SERVER, TOKEN_HINT, type Json } from './api-client';

/** Where a command writes and which environment it reads (injectable for tests). */
export interface CliIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return { out: process.stdout, err: process.stderr, env: process.env };
}

/** A mistake in how the command was called: exit 2, with the usage unless `showUsage` is false. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionSpec = FlagSpec;
type Values = Record<string, string | boolean | string[] | undefined>;

/** One subcommand: its synopsis, positional arguments (a trailing `...` takes one or more), flags and action. */
export interface Subcommand {
  readonly synopsis: string;
  readonly summary: string;
  /** Further lines of help, e.g. what each flag means. */
  readonly details?: string;
  readonly args: readonly string[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Whether the command works inside a project (adds --project, default ATTESTD_PROJECT). */
  readonly inProject: boolean;
  run(inv: Invocation): Promise<number>;
}

/** A command group such as `attestd keys`: named subcommands. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly subcommands: Readonly<Record<string, Subcommand>>;
}

const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  server: { type: 'string' },
  token: { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean' },
};

const COMMON_HELP = `common flags:
  --server URL          attestd's REST address (default ATTESTD_SERVER, else ${DEFAULT_SERVER})
  --token T             bearer token (default ATTESTD_TOKEN)
  --output json|text    JSON (default) or one line per item`;
const PROJECT_HELP = '  --project P           project id (default ATTESTD_PROJECT); a full resource name argument implies it';

/** A parsed call of one subcommand: its arguments, flags and helpers shared by every command. */
export class Invocation {
  readonly output: 'json' | 'text';

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly values: Values,
    readonly io: CliIo,
  ) {
    const output = this.string('output') ?? 'json';
    if (output !== 'json' && output !== 'text') throw new UsageError(`--output must be json or text, got "${output}"`);
    this.output = output;
  }

  /** A string flag, or undefined when absent. */
  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  /** A string flag that must be present. */
  required(name: string, what: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw new UsageError(`--${name} is required (${what})`);
    return v;
  }

  /** Every value of a repeatable flag; comma-separated values are split too. */
  strings(name: string): string[] {
    const v = this.values[name];
    const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    return list
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A REST client for --server / ATTESTD_SERVER with --token / ATTESTD_TOKEN; no token is a usage error. */
  client(): ApiClient {
    const { server, token } = clientSettings({ server: this.string('server'), token: this.string('token') }, this.io.env);
    if (!token) throw new UsageError(`no token: ${TOKEN_HINT}`, false);
    return new ApiClient(server, token);
  }

  /** The project id: from a full resource name argument, else --project, else ATTESTD_PROJECT. */
  project(nameArg?: string): string {
    if (nameArg?.startsWith('projects/')) return nameArg.split('/')[1] ?? '';
    const p = this.string('project') || this.io.env.ATTESTD_PROJECT;
    if (!p) throw new UsageError('--project is required (or set ATTESTD_PROJECT, or give a full resource name such as projects/P/...)');
    return p.replace(/^projects\//, '');
  }

  /** The full name of a project resource: "projects/P/<collection>/<id>", or the argument if it already is one. */
  resource(collection: string, arg: string): string {
    if (arg.startsWith('projects/')) {
      const parts = arg.split('/');
      if (parts.length !== 4 || parts[2] !== collection || !parts[1] || !parts[3]) {
        throw new UsageError(`"${arg}" is not a ${collection} name; give an id or projects/P/${collection}/ID`);
      }
      return arg;
    }
    if (arg.includes('/')) throw new UsageError(`"${arg}" is not a ${collection} id; give an id or projects/P/${collection}/ID`);
    return `projects/${this.project()}/${collection}/${arg}`;
  }

  /** Prints a JSON value, or with --output text the given lines. */
  print(json: unknown, text: () => readonly string[]): void {
    if (this.output === 'json') this.io.out.write(`${JSON.stringify(json, null, 2)}\n`);
    else for (const line of text()) this.io.out.write(`${line}\n`);
  }
}

/** Lines of an aligned table: a header row, then one row per item. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A field of a JSON resource as text ('' when absent; arrays joined with commas). */
export function field(resource: Json, name: string): string {
  const v = resource[name];
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** The last segment of a resource name. */
export function shortName(name: unknown): string {
  return typeof name === 'string' ? name.slice(name.lastIndexOf('/') + 1) : '';
}

/** The usage of a whole group. */
export function groupUsage(group: CommandGroup): string {
  const entries = Object.entries(group.subcommands);
  const inProject = entries.some(([, s]) => s.inProject);
  return [
    `usage: attestd ${group.name} <subcommand> [flags]`,
    '',
    group.summary,
    '',
    'subcommands:',
    ...entries.flatMap(([, s]) => [`  ${s.synopsis}`, `      ${s.summary}`]),
    '',
    COMMON_HELP,
    ...(inProject ? [PROJECT_HELP] : []),
    '',
    `\`attestd ${group.name} <subcommand> --help\` describes one subcommand.`,
  ].join('\n');
}

/** The usage of one subcommand. */
export function subcommandUsage(prefix: string, sub: Subcommand): string {
  return [
    `usage: attestd ${prefix}${sub.synopsis}`,
    '',
    sub.summary,
    ...(sub.details ? ['', sub.details] : []),
    '',
    COMMON_HELP,
    ...(sub.inProject ? [PROJECT_HELP] : []),
  ].join('\n');
}

/** Runs `attestd <group> <subcommand> …`; resolves the exit code (0 ok, 1 failed, 2 usage). */
export async function runGroup(group: CommandGroup, argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out.write(`${groupUsage(group)}\n`);
    return name === undefined ? 2 : 0;
  }
  const sub = Object.hasOwn(group.subcommands, name) ? group.subcommands[name] : undefined;
  if (!sub) {
    io.err.write(`attestd ${group.name}: unknown subcommand "${name}"\n\n${groupUsage(group)}\n`);
    return 2;
  }
  return runSubcommand(`${group.name} `, sub, rest, io);
}

/** Runs one subcommand (also a top-level one such as `attest`, with prefix ''); resolves the exit code. */
export async function runSubcommand(prefix: string, sub: Subcommand, argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const label = `attestd ${prefix}${sub.synopsis.split(' ')[0]}`;
  const usage = subcommandUsage(prefix, sub);
  try {
    const options: FlagSpecs = {
      ...COMMON_OPTIONS,
      ...(sub.inProject ? { project: { type: 'string' } } : {}),
      ...sub.options,
    };
    let parsed;
    try {
      parsed = parseFlags(argv, options);
    } catch (err) {
      if (err instanceof FlagError) throw new UsageError(err.message);
      throw err;
    }
    if (parsed.help) {
      io.out.write(`${usage}\n`);
      return 0;
    }
    const variadic = sub.args.length > 0 && sub.args[sub.args.length - 1]!.endsWith('...');
    const n = parsed.positionals.length;
    if (n < sub.args.length) throw new UsageError(`missing ${sub.args.slice(n).join(' ')}`);
    if (!variadic && n > sub.args.length) throw new UsageError(`unexpected argument "${parsed.positionals[sub.args.length]}"`);
    return await sub.run(new Invocation(label, parsed.positionals, parsed.values, io));
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`${label}: ${err.message}\n${err.showUsage ? `\n${usage}\n` : ''}`);
      return 2;
    }
    if (err instanceof ApiCallError) {
      io.err.write(`attestd: ${err.status}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
