import { v1Path, type Json } from './api-client';
import { field, runGroup, shortName, table, type CliIo, type CommandGroup, type Invocation } from './command-table';

const rows = (events: readonly Json[]): string[] =>
  table(
    ['NAME', 'STATUS', 'IMAGE', 'WITNESS', 'ATTEMPTS', 'REASON'],
    events.map((e) => [
      shortName(e.name),
      field(e, 'status'),
      field(e, 'image'),
      shortName(e.witness),
      field(e, 'attempts'),
      field(e, 'reason'),
    ]),
  );

/** `attestd hooks events|retry`: what the registry hooks received and how its signing went. */
export const HOOKS: CommandGroup = {
  name: 'hooks',
  summary: 'Registry hook events: what was received, signed, ignored or failed, and retrying failed signings.',
  subcommands: {
    events: {
      synopsis: 'events [--filter F]',
      summary: 'list the hook events, oldest first (e.g. --filter \'status = "FAILED"\')',
      args: [],
      options: { filter: { type: 'string' } },
      inProject: true,
      async run(inv: Invocation) {
        const hookEvents = await inv
          .client()
          .list(v1Path(`projects/${inv.project()}`, '/hookEvents'), 'hookEvents', { filter: inv.string('filter') });
        inv.print({ hookEvents }, () => rows(hookEvents));
        return 0;
      },
    },
    retry: {
      synopsis: 'retry EVENT',
      summary: 'sign a FAILED event again now (after enabling the key or creating the witness); PENDING and SIGNED ones stay as they are',
      args: ['EVENT'],
      inProject: true,
      async run(inv: Invocation) {
        const event = await inv.client().post(v1Path(inv.resource('hookEvents', inv.args[0]!), ':retry'), {});
        inv.print(event, () => rows([event]));
        return 0;
      },
    },
  },
};

/** `attestd hooks …`; resolves the exit code. */
export function hooksCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(HOOKS, argv, io);
}
