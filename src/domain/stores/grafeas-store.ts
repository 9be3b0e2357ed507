import type { NewAuditEvent } from '../audit-event';
import type { NoteName, OccurrenceName } from '../names';
import type { ListQuery, Note, Occurrence, Page } from '../message-types';

/** A note as stored: its indexed columns and the full message. */
export interface NoteRecord {
  readonly projectId: string;
  readonly noteId: string;
  readonly kind: string;
  readonly createTime: string;
  readonly updateTime: string;
  readonly body: Note;
}

/** An occurrence as stored: its indexed columns and the full message. */
export interface OccurrenceRecord {
  readonly projectId: string;
  readonly occurrenceId: string;
  readonly resourceUri: string;
  readonly noteProjectId: string;
  readonly noteId: string;
  readonly kind: string;
  readonly createTime: string;
  readonly updateTime: string;
  readonly body: Occurrence;
}

/**
 * An occurrence to create before its kind is settled: `kind` is what its details say (undefined: its note's
 * kind); the store sets the settled kind in the record and in the body's `kind`.
 */
export interface OccurrenceDraft extends Omit<OccurrenceRecord, 'kind'> {
  readonly kind: string | undefined;
}

/** What creating occurrences found, whether or not it created them. */
export interface OccurrenceCreation {
  /** True when every occurrence and audit event was written; false when none was. */
  readonly created: boolean;
  readonly projectExists: boolean;
  /** The kind of each existing note the drafts name, keyed by full note name. */
  readonly kinds: Map<string, string>;
}

/** Storage of notes and occurrences; SQL lives behind it. */
export interface GrafeasStore {
  /** Inserts notes whose ids are free; returns the ids that already existed (nothing is inserted then). */
  insertNotes(records: readonly NoteRecord[]): Promise<string[]>;
  getNote(name: NoteName): Promise<Note | undefined>;
  /** The kind of each existing note among `names`, keyed by full note name. */
  noteKinds(names: readonly NoteName[]): Promise<Map<string, string>>;
  /**
   * What creating occurrences needs to know, in one round trip: whether the project exists and the kind of
   * each existing note among `names`. (The occurrences' foreign keys still refuse a project or note deleted
   * concurrently.)
   */
  occurrenceTargets(projectId: string, names: readonly NoteName[]): Promise<{ projectExists: boolean; kinds: Map<string, string> }>;
  listNotes(projectId: string, query: ListQuery): Promise<Page<Note>>;
  updateNote(record: NoteRecord): Promise<boolean>;
  deleteNote(name: NoteName): Promise<boolean>;
  countNoteOccurrences(name: NoteName): Promise<number>;
  /** Deletes every occurrence of a note (in any project); returns how many. */
  deleteNoteOccurrences(name: NoteName): Promise<number>;
  insertOccurrences(records: readonly OccurrenceRecord[]): Promise<void>;
  /**
   * Creates occurrences of one project with the audit events that record them (written like
   * AuditStore.appendMany), all or none, in one atomic write (one statement in Postgres, no transaction
   * needed): only when the project exists and each draft's note exists and admits its kind (noteAdmits). Answers
   * what it found either way, so that the caller can name what was wrong.
   */
  createOccurrences(projectId: string, drafts: readonly OccurrenceDraft[], events: readonly NewAuditEvent[]): Promise<OccurrenceCreation>;
  getOccurrence(name: OccurrenceName): Promise<Occurrence | undefined>;
  listOccurrences(projectId: string, query: ListQuery): Promise<Page<Occurrence>>;
  /** Occurrences of a note, limited to the given projects (undefined = every project). */
  listNoteOccurrences(name: NoteName, query: ListQuery, projectIds: readonly string[] | undefined): Promise<Page<Occurrence>>;
  /** Serializes writers of each (note, resource) pair until the transaction ends; pairs are locked in one global order. */
  lockNoteResources(targets: readonly { note: NoteName; uri: string }[]): Promise<void>;
  /** Occurrences on any of `notes` for any of `resourceUris`, in one indexed query. */
  findOccurrences(notes: readonly NoteName[], resourceUris: readonly string[]): Promise<Occurrence[]>;
  /** A project's occurrences of the given kinds on any of `resourceUris`, in id order, at most `limit`, in one indexed query. */
  imageOccurrences(projectId: string, kinds: readonly string[], resourceUris: readonly string[], limit: number): Promise<Occurrence[]>;
  /**
   * A project's VULNERABILITY_ASSESSMENT notes (VEX statements) whose `vulnerabilityAssessment.product.genericUri`
   * is one of `productUris`, in note id order, at most `limit`, in one indexed query.
   */
  assessmentNotes(projectId: string, productUris: readonly string[], limit: number): Promise<Note[]>;
  updateOccurrence(record: OccurrenceRecord): Promise<boolean>;
  deleteOccurrence(name: OccurrenceName): Promise<boolean>;
}
