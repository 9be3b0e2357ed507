import { v1Path, type Json } from './api-client';
import { field, runGroup, shortName, table, type CliIo, type CommandGroup, type Invocation } from './command-table';

const rows = (keys: readonly Json[]): string[] =>
  table(
    ['NAME', 'SPEC', 'PURPOSE', 'ALGORITHM', 'STATE', 'PRIMARY'],
    keys.map((k) => [
      field(k, 'name'),
      field(k, 'keySpec'),
      field(k, 'purpose'),
      field(k, 'algorithm'),
      field(k, 'state'),
      shortName(k.primaryVersion),
    ]),
  );

/** A subcommand that posts `:<verb>` to one key and prints the key. */
function keyAction(verb: 'rotate' | 'disable' | 'enable', summary: string): CommandGroup['subcommands'][string] {
  return {
    synopsis: `${verb} KEY`,
    summary,
    args: ['KEY'],
    inProject: true,
    async run(inv: Invocation) {
      const key = await inv.client().post(v1Path(inv.resource('keys', inv.args[0]!), `:${verb}`), {});
      inv.print(key, () => rows([key]));
      return 0;
    },
  };
}

/** `attestd keys create|list|get|public-key|rotate|disable|enable`. */
export const KEYS: CommandGroup = {
  name: 'keys',
  summary: "Signing keys held by attestd's key manager; private parts never leave the server.",
  subcommands: {
    create: {
      synopsis: 'create KEY [--spec RSA_2048] [--purpose SIGN_VERIFY] [--algorithm A] [--description D]',
      summary: 'create a key with its first version',
      details: `flags:
  --spec S          RSA_2048 (default), RSA_3072, RSA_4096, EC_P256, EC_P384
  --purpose P       SIGN_VERIFY (default) or ENCRYPT_DECRYPT
  --algorithm A     signing algorithm, e.g. RSA_SIGN_PSS_2048_SHA256 (default for RSA) or RSA_SIGN_PKCS1_2048_SHA256
  --description D   free text`,
      args: ['KEY'],
      options: { spec: { type: 'string' }, purpose: { type: 'string' }, algorithm: { type: 'string' }, description: { type: 'string' } },
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('keys', inv.args[0]!);
        const body = {
          keySpec: inv.string('spec'),
          purpose: inv.string('purpose'),
          algorithm: inv.string('algorithm'),
          description: inv.string('description'),
        };
        const key = await inv.client().post(v1Path(`projects/${name.split('/')[1]}`, '/keys'), body, { keyId: shortName(name) });
        inv.print(key, () => rows([key]));
        return 0;
      },
    },
    list: {
      synopsis: 'list',
      summary: "list the project's keys",
      args: [],
      inProject: true,
      async run(inv: Invocation) {
        const keys = await inv.client().list(v1Path(`projects/${inv.project()}`, '/keys'), 'keys');
        inv.print({ keys }, () => rows(keys));
        return 0;
      },
    },
    get: {
      synopsis: 'get KEY',
      summary: 'show a key and its versions',
      args: ['KEY'],
      inProject: true,
      async run(inv: Invocation) {
        const key = await inv.client().get(v1Path(inv.resource('keys', inv.args[0]!)));
        inv.print(key, () => rows([key]));
        return 0;
      },
    },
    'public-key': {
      synopsis: 'public-key KEY [--version N]',
      summary: 'print the public key of the primary version (or of version N); --output text prints the PEM alone',
      args: ['KEY'],
      options: { version: { type: 'string' } },
      inProject: true,
      async run(inv: Invocation) {
        const publicKey = await inv
          .client()
          .get(v1Path(inv.resource('keys', inv.args[0]!), '/publicKey'), { version: inv.string('version') });
        inv.print(publicKey, () => [field(publicKey, 'pem').trimEnd()]);
        return 0;
      },
    },
    rotate: keyAction('rotate', 'add a new primary version; older versions still verify'),
    disable: keyAction('disable', 'disable a key: it neither signs nor verifies (its attestations stop verifying)'),
    enable: keyAction('enable', 'enable a disabled key again'),
  },
};

/** `attestd keys …`; resolves the exit code. */
export function keysCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(KEYS, argv, io);
}
