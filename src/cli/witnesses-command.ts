import fs from 'node:fs';
import { field, UsageError, type CommandGroup } from './command-table';
import { groupCommand, memberOf, resourceCommandGroup } from './resource-command-group';

/** `attestd witnesses create|list|get|delete`. */
export const WITNESSES: CommandGroup = resourceCommandGroup({
  name: 'witnesses',
  summary: 'Witnesses are named signing authorities; each signs with attestd keys and owns the ATTESTATION note projects/P/notes/W.',
  collection: 'witnesses',
  idParam: 'witnessId',
  arg: 'WITNESS',
  singular: 'witness',
  plural: 'witnesses',
  columns: [
    ['NAME', (w) => field(w, 'name')],
    ['KEYS', (w) => field(w, 'keys')],
    ['EXTERNAL KEYS', (w) => String((w.publicKeys as unknown[] | undefined)?.length ?? 0)],
    ['NOTE', (w) => field(w, 'note')],
    ['MORE NOTES', (w) => field(w, 'notes')],
    ['DESCRIPTION', (w) => field(w, 'description')],
  ],
  create: {
    flags: '--key KEY [--key KEY...] | --public-key PEMFILE --algorithm ALG [--note NOTE...] [--accept-raw-envelope] [--description D]',
    summary: 'create a witness and its ATTESTATION note; the first key signs, every key verifies',
    details: `flags:
  --key K                 a key id of the project or projects/P/keys/K (repeat for more keys)
  --public-key FILE       a PEM public key of a signer outside attestd (verifies only; repeat for more)
  --algorithm ALG         the public keys' algorithm, e.g. ECDSA_P256_SHA256, RSA_SIGN_PKCS1_2048_SHA256, ED25519
  --note NOTE             a further note id of the project or projects/P/notes/N whose occurrences count as the
                          witness's attestations when its keys verify them (repeat; e.g. tekton-default-taskrun-intoto)
  --accept-raw-envelope   also accept envelopes signed over the raw payload instead of DSSE's PAE (legacy Tekton
                          Chains and Cloud Build); off by default
  --description D         free text`,
    options: {
      key: { type: 'string', multiple: true },
      'public-key': { type: 'string', multiple: true },
      algorithm: { type: 'string' },
      note: { type: 'string', multiple: true },
      'accept-raw-envelope': { type: 'boolean' },
      description: { type: 'string' },
    },
    body(inv, project) {
      const keys = inv.strings('key').map((k) => memberOf(inv, 'keys', k, project));
      const files = inv.strings('public-key');
      if (keys.length === 0 && files.length === 0)
        throw new UsageError(
          '--key is required (e.g. --key k1 after `attestd keys create k1`), or --public-key FILE --algorithm ALG for a signer outside attestd',
        );
      const algorithm = inv.string('algorithm');
      if (files.length > 0 && !algorithm) throw new UsageError('--public-key needs --algorithm (e.g. ECDSA_P256_SHA256)');
      const publicKeys = files.map((file) => ({ pem: readPem(file), algorithm }));
      return {
        ...(keys.length ? { key: keys[0], keys } : {}),
        publicKeys,
        notes: inv.strings('note').map((n) => memberOf(inv, 'notes', n, project)),
        acceptRawEnvelope: inv.flag('accept-raw-envelope'),
        description: inv.string('description'),
      };
    },
  },
  remove: {
    summary: 'delete a witness and its note; --force also deletes its attestations',
    flags: '[--force]',
    options: { force: { type: 'boolean' } },
    query: (inv) => ({ force: inv.flag('force') || undefined }),
  },
});

/** `attestd witnesses …`; resolves the exit code. */
export const witnessesCommand = groupCommand(WITNESSES);

function readPem(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--public-key ${file} cannot be read: ${(err as Error).message}`);
  }
}
