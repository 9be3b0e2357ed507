import { v1Path, type Json } from './api-client';
import { runSubcommand, type CliIo, type Invocation, type Subcommand } from './command-table';

/** `attestd attest IMAGE --witness W`: the witness signs the image; prints the ATTESTATION occurrence. */
export const ATTEST: Subcommand = {
  synopsis: 'attest IMAGE --witness W',
  summary: 'sign an image (by digest) with a witness and store the attestation; idempotent',
  details: `IMAGE is host/ns/repo@sha256:<64 hex> (a tag before the digest is allowed but not signed).
--witness W is a witness id or projects/P/witnesses/W; the token needs the attestor or admin role.
Prints the Grafeas ATTESTATION occurrence (--output text: one line with its name).`,
  args: ['IMAGE'],
  options: { witness: { type: 'string' } },
  inProject: true,
  async run(inv: Invocation) {
    const image = inv.args[0]!;
    const witness = inv.resource('witnesses', inv.required('witness', 'the witness that signs, e.g. --witness w1'));
    const occurrence = await inv.client().post(v1Path(witness, ':attest'), { image });
    const signatures = ((occurrence.attestation as Json | undefined)?.signatures as Json[] | undefined) ?? [];
    inv.print(occurrence, () => [
      `attested ${String(occurrence.resourceUri)} by ${witness}: ${String(occurrence.name)} (key ${signatures.map((s) => String(s.publicKeyId)).join(', ')})`,
    ]);
    return 0;
  },
};

/** `attestd attest …`; resolves the exit code. */
export function attestCommand(argv: readonly string[], io?: CliIo): Promise<number> {
  return runSubcommand('', ATTEST, argv, io);
}
