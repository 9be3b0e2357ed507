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

const rows = (policies: readonly Json[]): string[] =>
  table(
    ['NAME', 'ENABLED', 'ENFORCEMENT', 'CLUSTER', 'NAMESPACES', 'WITNESSES', 'REVISION'],
    policies.map((p) => [
      field(p, 'name'),
      String(p.enabled === true),
      field(p, 'enforcement'),
      field(p, 'cluster'),
      field(p, 'namespaces'),
      ((p.witnesses as string[] | undefined) ?? []).map(shortName).join(','),
      field(p, 'revision'),
    ]),
  );

/** A subcommand that PATCHes `enabled` of one policy. */
function setEnabled(enabled: boolean): Subcommand {
  const verb = enabled ? 'enable' : 'disable';
  return {
    synopsis: `${verb} POLICY`,
    summary: enabled ? 'enable a policy: admission reviews starting after this answer apply it' : 'disable a policy: it is ignored',
    args: ['POLICY'],
    inProject: true,
    async run(inv: Invocation) {
      const policy = await inv.client().patch(v1Path(inv.resource('policies', inv.args[0]!)), { enabled });
      inv.print(policy, () => rows([policy]));
      return 0;
    },
  };
}

/** `attestd policies create|list|get|enable|disable|delete`. */
export const POLICIES: CommandGroup = {
  name: 'policies',
  summary: "Security policies: which witnesses must have attested an image before it runs in a cluster's namespaces.",
  subcommands: {
    create: {
      synopsis: 'create POLICY --witness W --cluster C --namespace N [--enable] [--note T] [--dry-run] [...]',
      summary: 'create a policy (disabled unless --enable)',
      details: `flags:
  --witness W               a witness id or projects/P/witnesses/W (repeat for several)
  --cluster C               the cluster the policy applies to
  --namespace N             a namespace of that cluster (repeat for several)
  --enable                  enable the policy at once (default: disabled until \`attestd policies enable\`)
  --note T                  free text
  --dry-run                 enforcement DRY_RUN: admit, but record that the image would have been denied
  --required-witnesses K    how many of the witnesses must have attested (default 0 = all)
  --allowlist PATTERN       image name pattern admitted without attestation (repeat for several)
  --breakglass-allowed      let the kritis.grafeas.io/breakglass annotation admit a workload (audited)`,
      args: ['POLICY'],
      options: {
        witness: { type: 'string', multiple: true },
        cluster: { type: 'string' },
        namespace: { type: 'string', multiple: true },
        enable: { type: 'boolean' },
        note: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'required-witnesses': { type: 'string' },
        allowlist: { type: 'string', multiple: true },
        'breakglass-allowed': { type: 'boolean' },
      },
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('policies', inv.args[0]!);
        const project = name.split('/')[1]!;
        const witnesses = inv
          .strings('witness')
          .map((w) => (w.includes('/') ? inv.resource('witnesses', w) : `projects/${project}/witnesses/${w}`));
        if (witnesses.length === 0) throw new UsageError('--witness is required (the witness whose attestations the policy requires)');
        const cluster = inv.required('cluster', 'the cluster the policy applies to');
        const namespaces = inv.strings('namespace');
        if (namespaces.length === 0) throw new UsageError('--namespace is required (a namespace of the cluster; repeat for several)');
        const required = inv.string('required-witnesses');
        if (required !== undefined && !/^\d+$/.test(required))
          throw new UsageError(`--required-witnesses must be a whole number, got "${required}"`);
        const body: Json = {
          witnesses,
          cluster,
          namespaces,
          enabled: inv.flag('enable'),
          note: inv.string('note'),
          enforcement: inv.flag('dry-run') ? 'DRY_RUN' : 'ENFORCE',
          requiredWitnesses: required === undefined ? undefined : Number(required),
          allowlist: inv.strings('allowlist'),
          breakglassAllowed: inv.flag('breakglass-allowed'),
        };
        const policy = await inv.client().post(v1Path(`projects/${project}`, '/policies'), body, { policyId: shortName(name) });
        inv.print(policy, () => rows([policy]));
        return 0;
      },
    },
    list: {
      synopsis: 'list',
      summary: "list the project's policies",
      args: [],
      inProject: true,
      async run(inv: Invocation) {
        const policies = await inv.client().list(v1Path(`projects/${inv.project()}`, '/policies'), 'policies');
        inv.print({ policies }, () => rows(policies));
        return 0;
      },
    },
    get: {
      synopsis: 'get POLICY',
      summary: 'show a policy',
      args: ['POLICY'],
      inProject: true,
      async run(inv: Invocation) {
        const policy = await inv.client().get(v1Path(inv.resource('policies', inv.args[0]!)));
        inv.print(policy, () => rows([policy]));
        return 0;
      },
    },
    enable: setEnabled(true),
    disable: setEnabled(false),
    delete: {
      synopsis: 'delete POLICY',
      summary: 'delete a policy',
      args: ['POLICY'],
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('policies', inv.args[0]!);
        await inv.client().delete(v1Path(name));
        inv.print({ name, deleted: true }, () => [`deleted ${name}`]);
        return 0;
      },
    },
  },
};

/** `attestd policies …`; resolves the exit code. */
export function policiesCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(POLICIES, argv, io);
}
