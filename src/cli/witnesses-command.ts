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
    ['DESCRIPTION', (w) => field(w, 'description')],
  ],
  create: {
    flags: '--key KEY [--key KEY...] [--description D]',
    summary: 'create a witness and its ATTESTATION note; the first key signs, every key verifies',
    details: `flags:
  --key K           a key id of the project or projects/P/keys/K (repeat for more keys)
  --description D   free text`,
    options: { key: { type: 'string', multiple: true }, description: { type: 'string' } },
    body(inv, project) {
      const keys = inv.strings('key').map((k) => memberOf(inv, 'keys', k, project));
      if (keys.length === 0) throw new UsageError('--key is required (the key that signs, e.g. --key k1 after `attestd keys create k1`)');
      return { key: keys[0], keys, description: inv.string('description') };
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
