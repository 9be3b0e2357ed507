import { noteName, type NoteName, type OccurrenceName } from '../../domain/names';
import type { NewAuditEvent } from '../../domain/audit-event';
import { noteAdmits } from '../../domain/note-admits';
import type { AuditStore } from '../../domain/stores/audit-store';
import type { GrafeasStore, NoteRecord, OccurrenceCreation, OccurrenceDraft, OccurrenceRecord } from '../../domain/stores/grafeas-store';
import type { ListQuery, Note, Occurrence, Page } from '../../domain/message-types';
import { NOTE_FILTER_FIELDS, OCCURRENCE_FILTER_FIELDS } from '../grafeas-filter-fields';
import type { PageTokens } from '../page-token';
import { assertSameFields, type FieldValues } from './filter-evaluator';
import { memoryPage } from './memory-page';
import { NOTES, OCCURRENCES, PROJECTS, WITNESSES } from './memory-schema';
import { MemoryStorageError, refuseIfReferenced, requireParent } from './memory-storage-error';
import { rowKey, type Tables } from './memory-tables';
import { checkText, checkUuid, jsonb, thaw, timestamp } from './stored-values';

const NOTE_VALUES: FieldValues<NoteRecord> = {
  name: (r) => noteName(r),
  noteId: (r) => r.noteId,
  kind: (r) => r.kind,
  createTime: (r) => r.createTime,
  updateTime: (r) => r.updateTime,
};
const OCCURRENCE_VALUES: FieldValues<OccurrenceRecord> = {
  resourceUri: (r) => r.resourceUri,
  resourceUrl: (r) => r.resourceUri,
  resource_uri: (r) => r.resourceUri,
  noteName: (r) => noteName({ projectId: r.noteProjectId, noteId: r.noteId }),
  note_name: (r) => noteName({ projectId: r.noteProjectId, noteId: r.noteId }),
  noteId: (r) => r.noteId,
  noteProjectId: (r) => r.noteProjectId,
  kind: (r) => r.kind,
  createTime: (r) => r.createTime,
  updateTime: (r) => r.updateTime,
};
assertSameFields(NOTE_FILTER_FIELDS, NOTE_VALUES);
assertSameFields(OCCURRENCE_FILTER_FIELDS, OCCURRENCE_VALUES);

/** Notes and occurrences in memory, with the constraints, filters and keyset paging of the Postgres store. */
export class MemoryGrafeasStore implements GrafeasStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
    /** Where createOccurrences writes its audit events. */
    private readonly audit: Pick<AuditStore, 'appendMany'>,
  ) {}

  async insertNotes(records: readonly NoteRecord[]): Promise<string[]> {
    const notes = this.tables.table(NOTES);
    const rows = records.map((r) => noteRow(r, this.projectExists(r.projectId)));
    const taken: string[] = [];
    const inserted = new Set<string>();
    for (const row of rows) {
      const key = notes.keyOf(row);
      if (inserted.has(key)) continue;
      if (notes.get(key)) taken.push(row.noteId);
      else {
        notes.put(row);
        inserted.add(key);
      }
    }
    return taken;
  }

  async getNote(name: NoteName): Promise<Note | undefined> {
    const row = this.tables.table(NOTES).get(rowKey(name.projectId, name.noteId));
    return row ? thaw(row.body) : undefined;
  }

  async noteKinds(names: readonly NoteName[]): Promise<Map<string, string>> {
    const notes = this.tables.table(NOTES);
    const kinds = new Map<string, string>();
    for (const n of names) {
      const row = notes.get(rowKey(n.projectId, n.noteId));
      if (row) kinds.set(noteName(n), row.kind);
    }
    return kinds;
  }

  async occurrenceTargets(projectId: string, names: readonly NoteName[]): Promise<{ projectExists: boolean; kinds: Map<string, string> }> {
    return { projectExists: this.projectExists(projectId), kinds: await this.noteKinds(names) };
  }

  async listNotes(projectId: string, query: ListQuery): Promise<Page<Note>> {
    const rows = this.tables
      .table(NOTES)
      .rows()
      .filter((r) => r.projectId === projectId);
    const req = { key: (r: NoteRecord) => r.noteId, scope: `notes|${projectId}`, ...paging(query) };
    return memoryPage(this.tokens, rows, { ...req, filter: { query, fields: NOTE_FILTER_FIELDS, values: NOTE_VALUES } }, (r) =>
      thaw(r.body),
    );
  }

  async updateNote(r: NoteRecord): Promise<boolean> {
    const notes = this.tables.table(NOTES);
    const current = notes.get(rowKey(r.projectId, r.noteId));
    if (!current) return false;
    notes.put(noteRow({ ...current, kind: r.kind, updateTime: r.updateTime, body: r.body }, true));
    return true;
  }

  async deleteNote(name: NoteName): Promise<boolean> {
    const occurrences = this.tables.table(OCCURRENCES).rows();
    refuseIfReferenced(
      occurrences.some((o) => o.noteProjectId === name.projectId && o.noteId === name.noteId),
      `note ${noteName(name)} (by occurrences)`,
    );
    refuseIfReferenced(
      this.tables.table(WITNESSES).get(rowKey(name.projectId, name.noteId)) !== undefined,
      `note ${noteName(name)} (by its witness)`,
    );
    return this.tables.table(NOTES).delete(rowKey(name.projectId, name.noteId));
  }

  async countNoteOccurrences(name: NoteName): Promise<number> {
    return this.occurrencesOf(name).length;
  }

  async deleteNoteOccurrences(name: NoteName): Promise<number> {
    const occurrences = this.tables.table(OCCURRENCES);
    const doomed = this.occurrencesOf(name);
    for (const o of doomed) occurrences.delete(occurrences.keyOf(o));
    return doomed.length;
  }

  async insertOccurrences(records: readonly OccurrenceRecord[]): Promise<void> {
    const occurrences = this.tables.table(OCCURRENCES);
    const notes = this.tables.table(NOTES);
    const seen = new Set<string>();
    const rows = records.map((r) => {
      requireParent(this.projectExists(r.projectId), `project ${r.projectId}`);
      requireParent(
        notes.get(rowKey(r.noteProjectId, r.noteId)) !== undefined,
        `note ${noteName({ projectId: r.noteProjectId, noteId: r.noteId })}`,
      );
      const row = occurrenceRow(r);
      const key = occurrences.keyOf(row);
      if (seen.has(key) || occurrences.get(key)) throw new MemoryStorageError('unique', `duplicate occurrence id ${r.occurrenceId}`);
      seen.add(key);
      return row;
    });
    for (const row of rows) occurrences.put(row);
  }

  async createOccurrences(
    projectId: string,
    drafts: readonly OccurrenceDraft[],
    events: readonly NewAuditEvent[],
  ): Promise<OccurrenceCreation> {
    const noteOf = (d: OccurrenceDraft): string => noteName({ projectId: d.noteProjectId, noteId: d.noteId });
    const projectExists = this.projectExists(projectId);
    const kinds = await this.noteKinds(drafts.map((d) => ({ projectId: d.noteProjectId, noteId: d.noteId })));
    const settled = drafts.map((d) => {
      const noteKind = kinds.get(noteOf(d));
      return noteKind !== undefined && noteAdmits(noteKind, d.kind) ? settle(d, d.kind ?? noteKind) : undefined;
    });
    if (!projectExists || settled.some((r) => r === undefined)) return { created: false, projectExists, kinds };
    await this.insertOccurrences(settled as OccurrenceRecord[]);
    await this.audit.appendMany(events);
    return { created: true, projectExists, kinds };
  }

  async getOccurrence(name: OccurrenceName): Promise<Occurrence | undefined> {
    const row = this.tables.table(OCCURRENCES).get(rowKey(name.occurrenceId));
    return row && row.projectId === name.projectId ? thaw(row.body) : undefined;
  }

  async listOccurrences(projectId: string, query: ListQuery): Promise<Page<Occurrence>> {
    const rows = this.tables
      .table(OCCURRENCES)
      .rows()
      .filter((r) => r.projectId === projectId);
    return this.occurrencePage(rows, `occurrences|${projectId}`, query);
  }

  async listNoteOccurrences(name: NoteName, query: ListQuery, projectIds: readonly string[] | undefined): Promise<Page<Occurrence>> {
    const visible = projectIds ? new Set(projectIds) : undefined;
    const rows = this.occurrencesOf(name).filter((r) => !visible || visible.has(r.projectId));
    const scope = `noteOccurrences|${noteName(name)}|${projectIds ? [...projectIds].sort().join(',') : '*'}`;
    return this.occurrencePage(rows, scope, query);
  }

  /** Transactions run one at a time on the memory backend, so every lock is already held. */
  async lockNoteResources(): Promise<void> {}

  async findOccurrences(notes: readonly NoteName[], resourceUris: readonly string[]): Promise<Occurrence[]> {
    const names = new Set(notes.map((n) => noteName(n)));
    const uris = new Set(resourceUris);
    return this.tables
      .table(OCCURRENCES)
      .rows()
      .filter((o) => uris.has(o.resourceUri) && names.has(noteName({ projectId: o.noteProjectId, noteId: o.noteId })))
      .sort((a, b) => (a.occurrenceId < b.occurrenceId ? -1 : a.occurrenceId > b.occurrenceId ? 1 : 0))
      .slice(0, 10000)
      .map((o) => thaw(o.body));
  }

  async imageOccurrences(
    projectId: string,
    kinds: readonly string[],
    resourceUris: readonly string[],
    limit: number,
  ): Promise<Occurrence[]> {
    const wanted = new Set(kinds);
    const uris = new Set(resourceUris);
    return this.tables
      .table(OCCURRENCES)
      .rows()
      .filter((o) => o.projectId === projectId && uris.has(o.resourceUri) && wanted.has(o.kind))
      .sort((a, b) => (a.occurrenceId < b.occurrenceId ? -1 : a.occurrenceId > b.occurrenceId ? 1 : 0))
      .slice(0, limit)
      .map((o) => thaw(o.body));
  }

  async assessmentNotes(projectId: string, productUris: readonly string[], limit: number): Promise<Note[]> {
    const uris = new Set(productUris);
    const productUri = (body: Note): unknown =>
      ((body.vulnerabilityAssessment as Note | undefined)?.product as Note | undefined)?.genericUri;
    return this.tables
      .table(NOTES)
      .rows()
      .filter((n) => n.projectId === projectId && n.kind === 'VULNERABILITY_ASSESSMENT' && uris.has(productUri(n.body) as string))
      .sort((a, b) => (a.noteId < b.noteId ? -1 : a.noteId > b.noteId ? 1 : 0))
      .slice(0, limit)
      .map((n) => thaw(n.body));
  }

  async updateOccurrence(r: OccurrenceRecord): Promise<boolean> {
    const occurrences = this.tables.table(OCCURRENCES);
    const current = occurrences.get(rowKey(r.occurrenceId));
    if (!current || current.projectId !== r.projectId) return false;
    occurrences.put(occurrenceRow({ ...current, resourceUri: r.resourceUri, kind: r.kind, updateTime: r.updateTime, body: r.body }));
    return true;
  }

  async deleteOccurrence(name: OccurrenceName): Promise<boolean> {
    const occurrences = this.tables.table(OCCURRENCES);
    const current = occurrences.get(rowKey(name.occurrenceId));
    if (!current || current.projectId !== name.projectId) return false;
    return occurrences.delete(rowKey(name.occurrenceId));
  }

  private projectExists(projectId: string): boolean {
    return this.tables.table(PROJECTS).get(rowKey(projectId)) !== undefined;
  }

  private occurrencesOf(name: NoteName): OccurrenceRecord[] {
    return this.tables
      .table(OCCURRENCES)
      .rows()
      .filter((o) => o.noteProjectId === name.projectId && o.noteId === name.noteId);
  }

  private occurrencePage(rows: readonly OccurrenceRecord[], scope: string, query: ListQuery): Page<Occurrence> {
    const req = { key: (r: OccurrenceRecord) => r.occurrenceId, scope, ...paging(query) };
    return memoryPage(this.tokens, rows, { ...req, filter: { query, fields: OCCURRENCE_FILTER_FIELDS, values: OCCURRENCE_VALUES } }, (r) =>
      thaw(r.body),
    );
  }
}

function paging(query: ListQuery): { pageSize: number; pageToken: string | undefined } {
  return { pageSize: query.pageSize, pageToken: query.pageToken };
}

/** A note as stored, after the checks its table makes (the project exists, no NUL, valid times). */
function noteRow(r: NoteRecord, projectExists: boolean): NoteRecord {
  requireParent(projectExists, `project ${r.projectId}`);
  checkText(r);
  return Object.freeze({
    projectId: r.projectId,
    noteId: r.noteId,
    kind: r.kind,
    createTime: timestamp(r.createTime),
    updateTime: timestamp(r.updateTime),
    body: jsonb(r.body),
  });
}

/** A draft with its kind settled, in its record and its body. */
function settle(d: OccurrenceDraft, kind: string): OccurrenceRecord {
  return { ...d, kind, body: { ...d.body, kind } };
}

function occurrenceRow(r: OccurrenceRecord): OccurrenceRecord {
  checkText(r);
  return Object.freeze({
    projectId: r.projectId,
    occurrenceId: checkUuid(r.occurrenceId),
    resourceUri: r.resourceUri,
    noteProjectId: r.noteProjectId,
    noteId: r.noteId,
    kind: r.kind,
    createTime: timestamp(r.createTime),
    updateTime: timestamp(r.updateTime),
    body: jsonb(r.body),
  });
}
