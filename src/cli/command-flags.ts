import { settingsOf } from '../config';
import { FlagError, parseFlags, type FlagSpecs, type FlagValues } from '../flags';

/** Where a command writes (injectable for tests). */
export interface CommandStreams {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

/**
 * Parses a command's flags strictly, then runs it with them as the NAME → value map the configuration reads
 * (`--http-port 1` → `HTTP_PORT`) and as parsed values. Resolves 2 after a flag mistake (unknown flag, missing
 * value, an argument the command does not take) and 0 after `--help`, without running the command.
 */
export async function commandFlags(
  command: string,
  argv: readonly string[],
  specs: FlagSpecs,
  usage: string,
  run: (settings: Readonly<Record<string, string>>, values: FlagValues) => Promise<number>,
  streams: CommandStreams = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, specs);
    if (!parsed.help && parsed.positionals.length > 0) throw new FlagError(`unexpected argument "${parsed.positionals[0]}"`);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    streams.err.write(`attestd ${command}: ${err.message}\n(\`attestd ${command} --help\` lists the flags)\n`);
    return 2;
  }
  if (parsed.help) {
    streams.out.write(`${usage}\n\n${flagList(command, specs)}\n`);
    return 0;
  }
  return run(settingsOf(parsed.values), parsed.values);
}

/** `flags of attestd serve: --admission --data-dir …`, wrapped. */
export function flagList(command: string, specs: FlagSpecs): string {
  const lines: string[] = [`flags of attestd ${command}:`];
  let line = ' ';
  for (const flag of Object.keys(specs).sort()) {
    const word = ` --${flag}${specs[flag]!.type === 'string' ? ' V' : ''}`;
    if (line.length + word.length > 110) {
      lines.push(line);
      line = ' ';
    }
    line += word;
  }
  lines.push(line);
  return lines.join('\n');
}
