import type { Json } from './api-client';
import { field, UsageError, type CommandGroup } from './command-table';
import { groupCommand, resourceCommandGroup } from './resource-command-group';

/** `attestd clusters create|list|get|delete`. */
export const CLUSTERS: CommandGroup = resourceCommandGroup({
  name: 'clusters',
  summary:
    'Registered clusters: a policy may only name one, and an admission adapter (--cluster) serves only one; ' +
    'the webhook mode says which namespaces its webhook covers.',
  collection: 'clusters',
  idParam: 'clusterId',
  arg: 'CLUSTER',
  singular: 'cluster',
  plural: 'clusters',
  columns: [
    ['NAME', (c) => field(c, 'name')],
    ['WEBHOOK MODE', (c) => field(c, 'webhookMode')],
    ['COVERAGE', (c) => coverage(c)],
    ['REVISION', (c) => field(c, 'revision')],
  ],
  create: {
    flags: '[--description T] [--webhook-mode OPT_OUT|OPT_IN] [--exempt-namespace N]... [--enforced-namespace N]...',
    summary: 'register a cluster (policies and admission adapters may then name it)',
    details: `flags:
  --description T           free text
  --webhook-mode M          OPT_OUT (default: every namespace but the exempt ones) or OPT_IN (only namespaces
                            labelled attestd.io/enforce: "true"), as deployed from deploy/kubernetes
  --exempt-namespace N      OPT_OUT: a namespace the webhook skips (repeat; default kube-system and attestd)
  --enforced-namespace N    OPT_IN: a namespace labelled attestd.io/enforce: "true" (repeat for several)`,
    options: {
      description: { type: 'string' },
      'webhook-mode': { type: 'string' },
      'exempt-namespace': { type: 'string', multiple: true },
      'enforced-namespace': { type: 'string', multiple: true },
    },
    body(inv): Json {
      const mode = inv.string('webhook-mode');
      if (mode !== undefined && mode !== 'OPT_OUT' && mode !== 'OPT_IN')
        throw new UsageError(`--webhook-mode must be OPT_OUT or OPT_IN, got "${mode}"`);
      const exempt = inv.strings('exempt-namespace');
      return {
        description: inv.string('description'),
        webhookMode: mode,
        ...(exempt.length ? { exemptNamespaces: exempt } : {}),
        enforcedNamespaces: inv.strings('enforced-namespace'),
      };
    },
  },
  remove: { summary: 'delete a cluster (refused while a policy names it)' },
});

function coverage(c: Json): string {
  const list = (v: unknown): string => ((v as string[] | undefined) ?? []).join(',');
  return c.webhookMode === 'OPT_IN' ? `only ${list(c.enforcedNamespaces) || '(none)'}` : `all but ${list(c.exemptNamespaces) || '(none)'}`;
}

/** `attestd clusters …`; resolves the exit code. */
export const clustersCommand = groupCommand(CLUSTERS);
