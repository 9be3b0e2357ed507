import fs from 'node:fs';
import { v1Path } from './api-client';
import { runGroup, UsageError, type CliIo, type CommandGroup, type Invocation } from './command-table';

/** Reads a report file (`-` for standard input) as JSON, or says why it cannot. */
function readReport(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, false);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(
      `${file} is not JSON (${(err as Error).message}): give the scanner's JSON output (trivy --format json, grype -o json)`,
      false,
    );
  }
}

/** `attestd scan import IMAGE REPORT.json`. */
export const SCAN: CommandGroup = {
  name: 'scan',
  summary: 'Vulnerability scans: import Trivy or Grype JSON reports as Grafeas VULNERABILITY and DISCOVERY occurrences.',
  subcommands: {
    import: {
      synopsis: 'import IMAGE REPORT.json [--format trivy|grype]',
      summary: "import a scanner's JSON report for an image by digest; replaces that scanner's previous findings",
      details: `IMAGE is host/ns/repo@sha256:<64 hex>; the report must name that digest (Trivy Metadata.RepoDigests,
Grype source.target.manifestDigest). REPORT.json is "trivy image --format json" or "grype -o json" output
("-" reads standard input). --format is detected when absent. The token needs the attestor or admin role.`,
      args: ['IMAGE', 'REPORT.json'],
      options: { format: { type: 'string' } },
      inProject: true,
      async run(inv: Invocation) {
        const [image, file] = inv.args as [string, string];
        const report = readReport(file);
        const body = { image, report, format: inv.string('format') };
        const result = await inv.client().post(v1Path(`projects/${inv.project()}`, '/scans'), body);
        inv.print(result, () => [
          `imported ${Number(result.vulnerabilities ?? 0)} vulnerabilities for ${image} (replaced ${Number(result.replaced ?? 0)}): ${String(result.discovery)}`,
        ]);
        return 0;
      },
    },
  },
};

/** `attestd scan …`; resolves the exit code. */
export function scanCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runGroup(SCAN, argv, io);
}
