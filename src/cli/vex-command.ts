import fs from 'node:fs';
import { v1Path, type Json } from './api-client';
import { runGroup, UsageError, type CliIo, type CommandGroup, type Invocation } from './command-table';

/** Reads an OpenVEX file (`-` for standard input) as JSON, or says why it cannot. */
function readDocument(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, false);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${file} is not JSON (${(err as Error).message}): give an OpenVEX document (vexctl create … > FILE)`, false);
  }
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One stored statement as a line: note id, vulnerability, status, product. */
function statementLine(note: Json): string {
  const va = (note.vulnerabilityAssessment ?? {}) as Json;
  const assessment = (va.assessment ?? {}) as Json;
  const product = (va.product ?? {}) as Json;
  const justification = text(((assessment.justification ?? {}) as Json).justificationType).toLowerCase();
  const why = justification === '' ? '' : ` (${justification})`;
  const id = text(note.name).split('/').pop() ?? '';
  return `${id}  ${text(assessment.vulnerabilityId)}  ${text(assessment.state).toLowerCase()}${why}  ${text(product.name)}`;
}

/** `attestd vex import FILE`, `vex list`, `vex delete NOTE`. */
export const VEX: CommandGroup = {
  name: 'vex',
  summary: 'VEX statements: import OpenVEX documents whose not_affected and fixed statements suppress findings at admission.',
  subcommands: {
    import: {
      synopsis: 'import FILE.json',
      summary: 'import an OpenVEX document; a statement replaces an earlier one about the same vulnerability and image',
      details: `FILE.json is an OpenVEX document ("-" reads standard input). Each product must be an image by digest
(registry/ns/app@sha256:… or pkg:oci/app@sha256%3A…?repository_url=registry/ns/app) or a repository for all
its digests (registry/ns/app). The token needs the attestor or admin role.`,
      args: ['FILE.json'],
      inProject: true,
      async run(inv: Invocation) {
        const document = readDocument(inv.args[0]!);
        const result = await inv.client().post(v1Path(`projects/${inv.project()}`, '/vex'), document);
        const n = Number(result.statements ?? 0);
        const suppressing = Number(result.suppressing ?? 0);
        inv.print(result, () => [
          `imported ${n} VEX statement${n === 1 ? '' : 's'}; ${suppressing} suppress${suppressing === 1 ? 'es' : ''} findings`,
          ...((result.notes ?? []) as string[]),
        ]);
        return 0;
      },
    },
    list: {
      synopsis: 'list',
      summary: 'list the stored statements: note id, vulnerability, status, product',
      args: [],
      inProject: true,
      async run(inv: Invocation) {
        const notes = await inv
          .client()
          .list(v1Path(`projects/${inv.project()}`, '/notes'), 'notes', { filter: 'kind = VULNERABILITY_ASSESSMENT' });
        inv.print({ notes }, () => notes.map(statementLine));
        return 0;
      },
    },
    delete: {
      synopsis: 'delete NOTE',
      summary: 'remove a statement (its note id from vex list, or the full note name); needs the admin role',
      args: ['NOTE'],
      inProject: true,
      async run(inv: Invocation) {
        const name = inv.resource('notes', inv.args[0]!);
        await inv.client().delete(v1Path(name));
        inv.print({ deleted: name }, () => [`deleted ${name}`]);
        return 0;
      },
    },
  },
};

/** `attestd vex …`; resolves the exit code. */
export function vexCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(VEX, argv, io);
}
