import type { Json } from './api-client';
import { field, shortName, UsageError, type CommandGroup } from './command-table';
import { groupCommand, memberOf, resourceCommandGroup } from './resource-command-group';

/** `attestd import-rules create|list|get|enable|disable|delete`. */
export const IMPORT_RULES: CommandGroup = resourceCommandGroup({
  name: 'import-rules',
  summary:
    "Import rules: cosign signatures and attestations pushed into a registry namespace are read back, verified with the rule's witnesses' keys and recorded as their attestations.",
  collection: 'importRules',
  idParam: 'ruleId',
  arg: 'RULE',
  singular: 'import rule',
  plural: 'import rules',
  columns: [
    ['NAME', (r) => field(r, 'name')],
    ['ENABLED', (r) => String(r.enabled === true)],
    ['REGISTRY', (r) => field(r, 'registry') + (r.plainHttp === true ? ' (http)' : '')],
    ['NAMESPACE', (r) => field(r, 'namespace')],
    ['REPOSITORIES', (r) => field(r, 'repositories')],
    ['WITNESSES', (r) => ((r.witnesses as string[] | undefined) ?? []).map(shortName).join(',')],
    ['REVISION', (r) => field(r, 'revision')],
  ],
  create: {
    flags: '--registry HOST:PORT --namespace NS --witness W [--repositories GLOB] [--plain-http] [--enable] [--description T]',
    summary: 'create an import rule (disabled unless --enable)',
    details: `flags:
  --registry HOST[:PORT]   the registry host clients push to (request.host of its events); signatures are read from it
  --namespace NS           the first path segment of the repositories covered, e.g. team
  --repositories GLOB      the rest of the repository path: * = all (default), "team-*" (one segment), "apps/**" (any depth)
  --witness W              a witness id or projects/P/witnesses/W whose keys verify the signatures (repeat for several)
  --plain-http             reach the registry over http instead of https
  --enable                 enable the rule at once (default: disabled until \`attestd import-rules enable\`)
  --description T          free text`,
    options: {
      registry: { type: 'string' },
      namespace: { type: 'string' },
      repositories: { type: 'string' },
      witness: { type: 'string', multiple: true },
      'plain-http': { type: 'boolean' },
      enable: { type: 'boolean' },
      description: { type: 'string' },
    },
    body(inv, project): Json {
      const witnesses = inv.strings('witness').map((w) => memberOf(inv, 'witnesses', w, project));
      if (witnesses.length === 0) throw new UsageError('--witness is required (a witness whose keys verify the imported signatures)');
      return {
        registry: inv.required('registry', 'the registry host clients push to, e.g. 127.0.0.1:5000'),
        namespace: inv.required('namespace', 'the first path segment of the repositories it covers'),
        repositories: inv.string('repositories') ?? '*',
        witnesses,
        plainHttp: inv.flag('plain-http'),
        enabled: inv.flag('enable'),
        description: inv.string('description'),
      };
    },
  },
  toggle: {
    enable: 'enable an import rule: signatures pushed where it covers are imported from now on',
    disable: 'disable an import rule: it imports nothing',
  },
  remove: { summary: 'delete an import rule (queued imports still complete)' },
});

/** `attestd import-rules …`; resolves the exit code. */
export const importRulesCommand = groupCommand(IMPORT_RULES);
