/**
 * Whether a note of kind `noteKind` may hold an occurrence whose details say `kind` (undefined: no details, the
 * occurrence takes the note's kind). A note of kind NOTE_KIND_UNSPECIFIED holds occurrences of any kind.
 */
export function noteAdmits(noteKind: string, kind: string | undefined): boolean {
  return kind === undefined || noteKind === 'NOTE_KIND_UNSPECIFIED' || noteKind === kind;
}
