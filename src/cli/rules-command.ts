import { v1Path, type Json } from './api-client';
import {
  field,
  runGroup,
  shortName,
  table,
  UsageError,
  type CliIo,
  type CommandGroup,
  type Invocation,
  type Subcommand,
} from './command-table';

const rows = (rules: readonly Json[]): string[] =>
  table(
    ['NAME', 'ENABLED', 'REGISTRY', 'NAMESPACE', 'REPOSITORIES', 'WITNESS', 'REVISION'],
    rules.map((r) => [
      field(r, 'name'),
      String(r.enabled === true),
      field(r, 'registry'),
      field(r, 'namespace'),
      field(r, 'repositories'),
      shortName(r.witness),
      field(r, 'revision'),
    ]),
  );

/** A subcommand that PATCHes `enabled` of one signing rule. */
function setEnabled(enabled: boolean): Subcommand {
  const verb = enabled ? 'enable' : 'disable';
  return {
    synopsis: `${verb} RULE`,
    summary: enabled ? 'enable a signing rule: pushes it covers are signed from now on' : 'disable a signing rule: it signs nothing',
    args: ['RULE'],
    inProject: true,
    async run(inv: Invocation) {
      const rule = await inv.client().patch(v1Path(inv.resource('signingRules', inv.args[0]!)), { enabled }, { updateMask: 'enabled' });
      inv.print(rule, () => rows([rule]));
      return 0;
    },
  };
}

/** `attestd rules create|list|get|enable|disable|delete`. */
export const RULES: CommandGroup = {
  name: 'rules',
  summary: "Signing rules: pushes into a registry namespace are signed by the rule's witness (through the registry hooks).",
  subcommands: {
    create: {
      synopsis: 'create RULE --registry HOST:PORT --namespace NS --witness W [--repositories GLOB] [--enable] [--description T]',
      summary: 'create a signing rule (disabled unless --enable)',
      details: `flags:
  --registry HOST[:PORT]   the registry host clients push to, e.g. 127.0.0.1:5000 (request.host of its events)
  --namespace NS           the first path segment of the repositories covered, e.g. kritis-demo
  --repositories GLOB      the rest of the repository path: * = all (default), "team-*" (one segment), "apps/**" (any depth)
  --witness W              a witness id or projects/P/witnesses/W: it signs the pushed manifests
  --enable                 enable the rule at once (default: disabled until \`attestd rules enable\`)
  --description T          free text`,
      args: ['RULE'],
      options: {
        registry: { type: 'string' },
        namespace: { type: 'string' },
        repositories: { type: 'string' },
        witness: { type: 'string' },
        enable: { type: 'boolean' },
        description: { type: 'string' },
      },
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('signingRules', inv.args[0]!);
        const project = name.split('/')[1]!;
        const registry = inv.required('registry', 'the registry host clients push to, e.g. 127.0.0.1:5000');
        const namespace = inv.required('namespace', 'the first path segment of the repositories it covers');
        const w = inv.string('witness');
        if (!w) throw new UsageError('--witness is required (the witness that signs the pushed images)');
        const witness = w.includes('/') ? inv.resource('witnesses', w) : `projects/${project}/witnesses/${w}`;
        const body: Json = {
          registry,
          namespace,
          repositories: inv.string('repositories') ?? '*',
          witness,
          enabled: inv.flag('enable'),
          description: inv.string('description'),
        };
        const rule = await inv.client().post(v1Path(`projects/${project}`, '/signingRules'), body, { ruleId: shortName(name) });
        inv.print(rule, () => rows([rule]));
        return 0;
      },
    },
    list: {
      synopsis: 'list',
      summary: "list the project's signing rules",
      args: [],
      inProject: true,
      async run(inv: Invocation) {
        const signingRules = await inv.client().list(v1Path(`projects/${inv.project()}`, '/signingRules'), 'signingRules');
        inv.print({ signingRules }, () => rows(signingRules));
        return 0;
      },
    },
    get: {
      synopsis: 'get RULE',
      summary: 'show a signing rule',
      args: ['RULE'],
      inProject: true,
      async run(inv: Invocation) {
        const rule = await inv.client().get(v1Path(inv.resource('signingRules', inv.args[0]!)));
        inv.print(rule, () => rows([rule]));
        return 0;
      },
    },
    enable: setEnabled(true),
    disable: setEnabled(false),
    delete: {
      synopsis: 'delete RULE',
      summary: 'delete a signing rule (queued signings still complete)',
      args: ['RULE'],
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('signingRules', inv.args[0]!);
        await inv.client().delete(v1Path(name));
        inv.print({ name, deleted: true }, () => [`deleted ${name}`]);
        return 0;
      },
    },
  },
};

/** `attestd rules …`; resolves the exit code. */
export function rulesCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(RULES, argv, io);
}
