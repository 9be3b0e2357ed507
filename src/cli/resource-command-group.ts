import { v1Path, type Json, type Query } from './api-client';
import { runGroup, shortName, table, type CliIo, type CommandGroup, type Invocation, type Subcommand } from './command-table';

type Options = NonNullable<Subcommand['options']>;

/** One column of a kind's text output: its header and how to show a resource's value. */
export type Column = readonly [header: string, value: (resource: Json) => string];

/** What a resource kind's CLI group says and sends; `resourceCommandGroup` makes its subcommands. */
export interface ResourceGroupSpec {
  /** The group's command, e.g. "policies". */
  readonly name: string;
  readonly summary: string;
  /** The REST collection, also the list response's field, e.g. "signingRules". */
  readonly collection: string;
  /** The create request's id parameter, e.g. "ruleId". */
  readonly idParam: string;
  /** The positional argument, e.g. "RULE". */
  readonly arg: string;
  /** In summaries: "signing rule" ("show a signing rule"). */
  readonly singular: string;
  readonly plural: string;
  readonly columns: readonly Column[];
  readonly create: {
    /** After `create <ARG> `. */
    readonly flags: string;
    readonly summary: string;
    readonly details: string;
    readonly options: Options;
    /** The resource to POST, from the flags; `project` is the project of the new resource. */
    body(inv: Invocation, project: string): Json;
  };
  /** Runs after a create, enable or disable answered (e.g. to warn on stderr about what the resource will not do). */
  afterWrite?(inv: Invocation, resource: Json): Promise<void>;
  /** `enable` and `disable`, which PATCH `enabled`, with their summaries. */
  readonly toggle?: { readonly enable: string; readonly disable: string };
  readonly remove: {
    readonly summary: string;
    /** Flags of `delete` besides --etag, their synopsis and the query parameters they send (e.g. --force). */
    readonly flags?: string;
    readonly options?: Options;
    query?(inv: Invocation): Query;
  };
}

const ETAG: Options = { etag: { type: 'string' } };
const ETAG_HELP = '  --etag E   only if the resource still has this etag (as last read), else ABORTED';

/**
 * The CLI group of a resource kind: `create`, `list`, `get`, `delete` (and `enable`/`disable` when it toggles),
 * printing JSON or, with --output text, a table of its columns. `delete`, `enable` and `disable` take --etag.
 */
export function resourceCommandGroup(spec: ResourceGroupSpec): CommandGroup {
  const { collection, arg } = spec;
  const rows = (items: readonly Json[]): string[] =>
    table(
      spec.columns.map(([header]) => header),
      items.map((item) => spec.columns.map(([, value]) => value(item))),
    );
  const show = (inv: Invocation, resource: Json): number => {
    inv.print(resource, () => rows([resource]));
    return 0;
  };
  const written = async (inv: Invocation, resource: Json): Promise<number> => {
    const code = show(inv, resource);
    await spec.afterWrite?.(inv, resource);
    return code;
  };
  const toggle = (enabled: boolean, summary: string): Subcommand => ({
    synopsis: `${enabled ? 'enable' : 'disable'} ${arg} [--etag E]`,
    summary,
    details: `flags:\n${ETAG_HELP}`,
    args: [arg],
    options: ETAG,
    inProject: true,
    run: async (inv) =>
      written(
        inv,
        await inv
          .client()
          .patch(v1Path(inv.resource(collection, inv.args[0]!)), { enabled, etag: inv.string('etag') }, { updateMask: 'enabled' }),
      ),
  });
  const subcommands: Record<string, Subcommand> = {
    create: {
      synopsis: `create ${arg} ${spec.create.flags}`,
      summary: spec.create.summary,
      details: spec.create.details,
      args: [arg],
      options: spec.create.options,
      inProject: true,
      async run(inv) {
        const name = inv.resource(collection, inv.args[0]!);
        const project = name.split('/')[1]!;
        const body = spec.create.body(inv, project);
        return written(
          inv,
          await inv.client().post(v1Path(`projects/${project}`, `/${collection}`), body, { [spec.idParam]: shortName(name) }),
        );
      },
    },
    list: {
      synopsis: 'list',
      summary: `list the project's ${spec.plural}`,
      args: [],
      inProject: true,
      async run(inv) {
        const items = await inv.client().list(v1Path(`projects/${inv.project()}`, `/${collection}`), collection);
        inv.print({ [collection]: items }, () => rows(items));
        return 0;
      },
    },
    get: {
      synopsis: `get ${arg}`,
      summary: `show a ${spec.singular}`,
      args: [arg],
      inProject: true,
      run: async (inv) => show(inv, await inv.client().get(v1Path(inv.resource(collection, inv.args[0]!)))),
    },
    ...(spec.toggle ? { enable: toggle(true, spec.toggle.enable), disable: toggle(false, spec.toggle.disable) } : {}),
    delete: {
      synopsis: `delete ${arg} ${spec.remove.flags ? `${spec.remove.flags} ` : ''}[--etag E]`,
      summary: spec.remove.summary,
      details: `flags:\n${ETAG_HELP}`,
      args: [arg],
      options: { ...spec.remove.options, ...ETAG },
      inProject: true,
      async run(inv) {
        const name = inv.resource(collection, inv.args[0]!);
        await inv.client().delete(v1Path(name), { ...spec.remove.query?.(inv), etag: inv.string('etag') });
        inv.print({ name, deleted: true }, () => [`deleted ${name}`]);
        return 0;
      },
    },
  };
  return { name: spec.name, summary: spec.summary, subcommands };
}

/** A resource of `collection` in `project` named by a flag: an id, or a full name. */
export function memberOf(inv: Invocation, collection: string, value: string, project: string): string {
  return value.includes('/') ? inv.resource(collection, value) : `projects/${project}/${collection}/${value}`;
}

/** Runs a command group such as `attestd policies …` (argv after the group's name); resolves the exit code. */
export function groupCommand(group: CommandGroup): (argv: readonly string[], io?: CliIo) => Promise<number> {
  return (argv, io) => runGroup(group, argv, io);
}
