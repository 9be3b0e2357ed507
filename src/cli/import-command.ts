import { v1Path, type Json } from './api-client';
import { runSubcommand, shortName, type CliIo, type Invocation, type Subcommand } from './command-table';

/** `attestd import IMAGE`: imports the image's cosign signatures from its registry now (images pushed earlier). */
export const IMPORT: Subcommand = {
  synopsis: 'import IMAGE',
  summary: "read an image's cosign signatures and attestations from its registry, verify them and record what verifies",
  details: `IMAGE is host/ns/repo@sha256:<64 hex> or host/ns/repo:tag (resolved through the registry). The enabled import
rules covering its repository name the witnesses; its sha256-<hex>.sig and .att tags and its OCI 1.1 referrers are
read, and every signature a witness's keys verify is recorded on that witness's note (once). The token needs the
attestor or admin role. Prints the result per witness and signature manifest (--output text: one line each);
exit 0 when at least one signature was recorded, 1 when none verified.`,
  args: ['IMAGE'],
  inProject: true,
  async run(inv: Invocation) {
    const image = inv.args[0]!;
    const answer = await inv.client().post(v1Path(`projects/${inv.project()}/images`, ':import'), { image });
    const results = (answer.results as Json[] | undefined) ?? [];
    inv.print(answer, () =>
      results.length === 0
        ? [`no cosign signatures found for ${String(answer.image)}`]
        : results.map(
            (r) =>
              `${String(r.status)} ${String(r.source)} for ${shortName(r.witness)}: ${
                r.status === 'IMPORTED' ? ((r.occurrences as string[] | undefined) ?? []).join(', ') : String(r.reason)
              }`,
          ),
    );
    return ((answer.occurrences as string[] | undefined) ?? []).length > 0 ? 0 : 1;
  },
};

/** `attestd import …`; resolves the exit code. */
export function importCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runSubcommand('', IMPORT, argv, io);
}
