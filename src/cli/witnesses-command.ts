import { v1Path, type Json } from './api-client';
import { field, runGroup, shortName, table, UsageError, type CliIo, type CommandGroup, type Invocation } from './command-table';

const rows = (witnesses: readonly Json[]): string[] =>
  table(
    ['NAME', 'KEYS', 'EXTERNAL KEYS', 'NOTE', 'DESCRIPTION'],
    witnesses.map((w) => [
      field(w, 'name'),
      field(w, 'keys'),
      String((w.publicKeys as unknown[] | undefined)?.length ?? 0),
      field(w, 'note'),
      field(w, 'description'),
    ]),
  );

/** `attestd witnesses create|list|get|delete`. */
export const WITNESSES: CommandGroup = {
  name: 'witnesses',
  summary: 'Witnesses are named signing authorities; each signs with attestd keys and owns the ATTESTATION note projects/P/notes/W.',
  subcommands: {
    create: {
      synopsis: 'create WITNESS --key KEY [--key KEY...] [--description D]',
      summary: 'create a witness and its ATTESTATION note; the first key signs, every key verifies',
      details: `flags:
  --key K           a key id of the project or projects/P/keys/K (repeat for more keys)
  --description D   free text`,
      args: ['WITNESS'],
      options: { key: { type: 'string', multiple: true }, description: { type: 'string' } },
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('witnesses', inv.args[0]!);
        const project = name.split('/')[1]!;
        const keyArgs = inv.strings('key');
        if (keyArgs.length === 0)
          throw new UsageError('--key is required (the key that signs, e.g. --key k1 after `attestd keys create k1`)');
        const keys = keyArgs.map((k) => (k.includes('/') ? inv.resource('keys', k) : `projects/${project}/keys/${k}`));
        const body: Json = { key: keys[0], keys, description: inv.string('description') };
        const witness = await inv.client().post(v1Path(`projects/${project}`, '/witnesses'), body, { witnessId: shortName(name) });
        inv.print(witness, () => rows([witness]));
        return 0;
      },
    },
    list: {
      synopsis: 'list',
      summary: "list the project's witnesses",
      args: [],
      inProject: true,
      async run(inv: Invocation) {
        const witnesses = await inv.client().list(v1Path(`projects/${inv.project()}`, '/witnesses'), 'witnesses');
        inv.print({ witnesses }, () => rows(witnesses));
        return 0;
      },
    },
    get: {
      synopsis: 'get WITNESS',
      summary: 'show a witness',
      args: ['WITNESS'],
      inProject: true,
      async run(inv: Invocation) {
        const witness = await inv.client().get(v1Path(inv.resource('witnesses', inv.args[0]!)));
        inv.print(witness, () => rows([witness]));
        return 0;
      },
    },
    delete: {
      synopsis: 'delete WITNESS [--force]',
      summary: 'delete a witness and its note; --force also deletes its attestations',
      args: ['WITNESS'],
      options: { force: { type: 'boolean' } },
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('witnesses', inv.args[0]!);
        await inv.client().delete(v1Path(name), { force: inv.flag('force') || undefined });
        inv.print({ name, deleted: true }, () => [`deleted ${name}`]);
        return 0;
      },
    },
  },
};

/** `attestd witnesses …`; resolves the exit code. */
export function witnessesCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(WITNESSES, argv, io);
}
