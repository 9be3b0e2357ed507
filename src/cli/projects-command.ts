import type { Json } from './api-client';
import { v1Path } from './api-client';
import { field, runGroup, table, UsageError, type CliIo, type CommandGroup, type Invocation } from './command-table';

const projectName = (arg: string): string => {
  const id = arg.replace(/^projects\//, '');
  if (!id || id.includes('/')) throw new UsageError(`"${arg}" is not a project id; give P or projects/P`);
  return `projects/${id}`;
};

const rows = (projects: readonly Json[]): string[] =>
  table(
    ['NAME', 'CREATED'],
    projects.map((p) => [field(p, 'name'), field(p, 'createTime')]),
  );

/** `attestd projects create|list|get|delete`. */
export const PROJECTS: CommandGroup = {
  name: 'projects',
  summary: 'Projects are the tenants that hold keys, witnesses, policies and Grafeas notes and occurrences.',
  subcommands: {
    create: {
      synopsis: 'create PROJECT',
      summary: 'create a project (admin role)',
      args: ['PROJECT'],
      inProject: false,
      async run(inv: Invocation) {
        const project = await inv.client().post('/v1/projects', { name: projectName(inv.args[0]!) });
        inv.print(project, () => rows([project]));
        return 0;
      },
    },
    list: {
      synopsis: 'list',
      summary: 'list the projects the token may read',
      args: [],
      inProject: false,
      async run(inv: Invocation) {
        const projects = await inv.client().list('/v1/projects', 'projects');
        inv.print({ projects }, () => rows(projects));
        return 0;
      },
    },
    get: {
      synopsis: 'get PROJECT',
      summary: 'show a project',
      args: ['PROJECT'],
      inProject: false,
      async run(inv: Invocation) {
        const project = await inv.client().get(v1Path(projectName(inv.args[0]!)));
        inv.print(project, () => rows([project]));
        return 0;
      },
    },
    delete: {
      synopsis: 'delete PROJECT [--force]',
      summary: 'delete a project; --force also deletes its notes and occurrences',
      args: ['PROJECT'],
      options: { force: { type: 'boolean' } },
      inProject: false,
      async run(inv: Invocation) {
        const name = projectName(inv.args[0]!);
        await inv.client().delete(v1Path(name), { force: inv.flag('force') || undefined });
        inv.print({ name, deleted: true }, () => [`deleted ${name}`]);
        return 0;
      },
    },
  },
};

/** `attestd projects …`; resolves the exit code. */
export function projectsCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(PROJECTS, argv, io);
}
