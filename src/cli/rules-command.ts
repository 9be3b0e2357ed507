import { field, shortName, type CommandGroup } from './command-table';
import { groupCommand, memberOf, resourceCommandGroup } from './resource-command-group';

/** `attestd rules create|list|get|enable|disable|delete`. */
export const RULES: CommandGroup = resourceCommandGroup({
  name: 'rules',
  summary: "Signing rules: pushes into a registry namespace are signed by the rule's witness (through the registry hooks).",
  collection: 'signingRules',
  idParam: 'ruleId',
  arg: 'RULE',
  singular: 'signing rule',
  plural: 'signing rules',
  columns: [
    ['NAME', (r) => field(r, 'name')],
    ['ENABLED', (r) => String(r.enabled === true)],
    ['REGISTRY', (r) => field(r, 'registry')],
    ['NAMESPACE', (r) => field(r, 'namespace')],
    ['REPOSITORIES', (r) => field(r, 'repositories')],
    ['WITNESS', (r) => shortName(r.witness)],
    ['REVISION', (r) => field(r, 'revision')],
  ],
  create: {
    flags: '--registry HOST:PORT --namespace NS --witness W [--repositories GLOB] [--enable] [--description T]',
    summary: 'create a signing rule (disabled unless --enable)',
    details: `flags:
  --registry HOST[:PORT]   the registry host clients push to, e.g. 127.0.0.1:5000 (request.host of its events)
  --namespace NS           the first path segment of the repositories covered, e.g. kritis-demo
  --repositories GLOB      the rest of the repository path: * = all (default), "team-*" (one segment), "apps/**" (any depth)
  --witness W              a witness id or projects/P/witnesses/W: it signs the pushed manifests
  --enable                 enable the rule at once (default: disabled until \`attestd rules enable\`)
  --description T          free text`,
    options: {
      registry: { type: 'string' },
      namespace: { type: 'string' },
      repositories: { type: 'string' },
      witness: { type: 'string' },
      enable: { type: 'boolean' },
      description: { type: 'string' },
    },
    body: (inv, project) => ({
      registry: inv.required('registry', 'the registry host clients push to, e.g. 127.0.0.1:5000'),
      namespace: inv.required('namespace', 'the first path segment of the repositories it covers'),
      repositories: inv.string('repositories') ?? '*',
      witness: memberOf(inv, 'witnesses', inv.required('witness', 'the witness that signs the pushed images'), project),
      enabled: inv.flag('enable'),
      description: inv.string('description'),
    }),
  },
  toggle: {
    enable: 'enable a signing rule: pushes it covers are signed from now on',
    disable: 'disable a signing rule: it signs nothing',
  },
  remove: { summary: 'delete a signing rule (queued signings still complete)' },
});

/** `attestd rules …`; resolves the exit code. */
export const rulesCommand = groupCommand(RULES);
