import type { Knex } from 'knex';
import type { NoteName, OccurrenceName } from '../domain/names';
import { noteName } from '../domain/names';
import type { NewAuditEvent } from '../domain/audit-event';
import type { GrafeasStore, NoteRecord, OccurrenceCreation, OccurrenceDraft, OccurrenceRecord } from '../domain/stores/grafeas-store';
import { CREATE_OCCURRENCES_SQL } from './create-occurrences-sql';
import { pendingBindings } from './postgres-audit-store';
import type { ListQuery, Note, Occurrence, Page } from '../domain/message-types';
import type { FilterFields } from './filter-sql';
import { keysetPage, keysetPageSql } from './keyset-page';
import { NOTE_FILTER_FIELDS, OCCURRENCE_FILTER_FIELDS } from './grafeas-filter-fields';
import type { PageTokens } from './page-token';

/** Notes and occurrences in Postgres: indexed columns plus the full message as JSONB, keyset paging. */
export class PostgresGrafeasStore implements GrafeasStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
    /** Projects this store (its transaction) wrote audit events for (createOccurrences), as PostgresAuditStore's. */
    private readonly audited?: Set<string>,
  ) {}

  async insertNotes(records: readonly NoteRecord[]): Promise<string[]> {
    if (records.length === 0) return [];
    const rows = records.map((r) => ({
      project_id: r.projectId,
      note_id: r.noteId,
      kind: r.kind,
      create_time: r.createTime,
      update_time: r.updateTime,
      body: JSON.stringify(r.body),
    }));
    const inserted: { note_id: string }[] = await this.db('notes')
      .insert(rows)
      .onConflict(['project_id', 'note_id'])
      .ignore()
      .returning('note_id');
    if (inserted.length === records.length) return [];
    const got = new Set(inserted.map((r) => r.note_id));
    return records.filter((r) => !got.has(r.noteId)).map((r) => r.noteId);
  }

  async getNote(name: NoteName): Promise<Note | undefined> {
    const row = await this.db('notes').where({ project_id: name.projectId, note_id: name.noteId }).first('body');
    return row?.body;
  }

  async occurrenceTargets(projectId: string, names: readonly NoteName[]): Promise<{ projectExists: boolean; kinds: Map<string, string> }> {
    const unique = [...new Map(names.map((n) => [noteName(n), n])).values()];
    const rows: { project_exists: boolean; project_id: string | null; note_id: string | null; kind: string | null }[] = (
      await this.db.raw(
        `SELECT p.project_exists, n.project_id, n.note_id, n.kind
         FROM (SELECT EXISTS (SELECT 1 FROM projects WHERE project_id = ?) AS project_exists) p
         LEFT JOIN notes n ON (n.project_id, n.note_id) IN (SELECT * FROM unnest(?::text[], ?::text[]))`,
        [projectId, unique.map((n) => n.projectId), unique.map((n) => n.noteId)] as unknown as Knex.RawBinding[],
      )
    ).rows;
    const kinds = new Map<string, string>();
    for (const r of rows)
      if (r.project_id !== null && r.note_id !== null) kinds.set(noteName({ projectId: r.project_id, noteId: r.note_id }), r.kind!);
    return { projectExists: rows[0]?.project_exists === true, kinds };
  }

  async noteKinds(names: readonly NoteName[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    if (names.length === 0) return result;
    const rows: { project_id: string; note_id: string; kind: string }[] = await this.db('notes')
      .select('project_id', 'note_id', 'kind')
      .whereIn(
        ['project_id', 'note_id'],
        names.map((n) => [n.projectId, n.noteId]),
      );
    for (const r of rows) result.set(noteName({ projectId: r.project_id, noteId: r.note_id }), r.kind);
    return result;
  }

  listNotes(projectId: string, query: ListQuery): Promise<Page<Note>> {
    const base = this.db('notes').where('project_id', projectId);
    return this.page(base, 'note_id', NOTE_FILTER_FIELDS, `notes|${projectId}`, query);
  }

  async updateNote(r: NoteRecord): Promise<boolean> {
    const n = await this.db('notes')
      .where({ project_id: r.projectId, note_id: r.noteId })
      .update({ kind: r.kind, update_time: r.updateTime, body: JSON.stringify(r.body) });
    return n > 0;
  }

  async deleteNote(name: NoteName): Promise<boolean> {
    const n = await this.db('notes').where({ project_id: name.projectId, note_id: name.noteId }).delete();
    return n > 0;
  }

  async countNoteOccurrences(name: NoteName): Promise<number> {
    const row = await this.db('occurrences')
      .where({ note_project_id: name.projectId, note_id: name.noteId })
      .count<{ count: string }[]>('* as count')
      .first();
    return Number(row?.count ?? 0);
  }

  deleteNoteOccurrences(name: NoteName): Promise<number> {
    return this.db('occurrences').where({ note_project_id: name.projectId, note_id: name.noteId }).delete();
  }

  async insertOccurrences(records: readonly OccurrenceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map((r) => ({
      occurrence_id: r.occurrenceId,
      project_id: r.projectId,
      resource_uri: r.resourceUri,
      note_project_id: r.noteProjectId,
      note_id: r.noteId,
      kind: r.kind,
      create_time: r.createTime,
      update_time: r.updateTime,
      body: JSON.stringify(r.body),
    }));
    // Keep each statement under Postgres' 65535 bind parameters.
    for (let i = 0; i < rows.length; i += 5000) await this.db('occurrences').insert(rows.slice(i, i + 5000));
  }

  async createOccurrences(
    projectId: string,
    drafts: readonly OccurrenceDraft[],
    events: readonly NewAuditEvent[],
  ): Promise<OccurrenceCreation> {
    const column = <T>(f: (d: OccurrenceDraft) => T): T[] => drafts.map(f);
    const rows: {
      project_exists: boolean;
      created: number;
      note_project_id: string | null;
      note_id: string | null;
      note_kind: string | null;
    }[] = (
      await this.db.raw(CREATE_OCCURRENCES_SQL, [
        column((d) => d.occurrenceId),
        column((d) => d.resourceUri),
        column((d) => d.noteProjectId),
        column((d) => d.noteId),
        column((d) => d.kind ?? null),
        column((d) => d.createTime),
        column((d) => d.updateTime),
        JSON.stringify(drafts.map((d) => d.body)),
        projectId,
        projectId,
        ...pendingBindings(events).bindings,
      ] as unknown as Knex.RawBinding[])
    ).rows;
    const kinds = new Map<string, string>();
    for (const r of rows)
      if (r.note_project_id !== null && r.note_id !== null)
        kinds.set(noteName({ projectId: r.note_project_id, noteId: r.note_id }), r.note_kind!);
    const created = rows[0]!.created === drafts.length;
    if (created) for (const e of events) this.audited?.add(e.projectId);
    return { created, projectExists: rows[0]!.project_exists, kinds };
  }

  async getOccurrence(name: OccurrenceName): Promise<Occurrence | undefined> {
    const row = await this.db('occurrences').where({ occurrence_id: name.occurrenceId, project_id: name.projectId }).first('body');
    return row?.body;
  }

  listOccurrences(projectId: string, query: ListQuery): Promise<Page<Occurrence>> {
    const req = {
      keyColumn: 'occurrence_id',
      scope: `occurrences|${projectId}`,
      pageSize: query.pageSize,
      pageToken: query.pageToken,
      filter: { query, fields: OCCURRENCE_FILTER_FIELDS },
    };
    return keysetPageSql(
      this.db,
      this.tokens,
      'FROM occurrences WHERE project_id = ?',
      [projectId],
      req,
      (r: { body: Occurrence }) => r.body,
    );
  }

  listNoteOccurrences(name: NoteName, query: ListQuery, projectIds: readonly string[] | undefined): Promise<Page<Occurrence>> {
    const base = this.db('occurrences').where({ note_project_id: name.projectId, note_id: name.noteId });
    if (projectIds) base.whereIn('project_id', [...projectIds]);
    const scope = `noteOccurrences|${noteName(name)}|${projectIds ? [...projectIds].sort().join(',') : '*'}`;
    return this.page(base, 'occurrence_id', OCCURRENCE_FILTER_FIELDS, scope, query);
  }

  async lockNoteResources(targets: readonly { note: NoteName; uri: string }[]): Promise<void> {
    // Sorted and deduplicated in Node, locked in that order by one statement (WITH ORDINALITY keeps it).
    const keys = [...new Set(targets.map((t) => `${noteName(t.note)}|${t.uri}`))].sort();
    if (keys.length === 0) return;
    await this.db.raw(
      `SELECT count(pg_advisory_xact_lock(hashtextextended(k.key, 0)))
       FROM (SELECT key FROM unnest(?::text[]) WITH ORDINALITY AS u(key, n) ORDER BY n) k`,
      [keys] as unknown as Knex.RawBinding[],
    );
  }

  async findOccurrences(notes: readonly NoteName[], resourceUris: readonly string[]): Promise<Occurrence[]> {
    if (notes.length === 0 || resourceUris.length === 0) return [];
    const rows: { body: Occurrence }[] = await this.db('occurrences')
      .whereIn('resource_uri', [...resourceUris])
      .whereIn(
        ['note_project_id', 'note_id'],
        notes.map((n) => [n.projectId, n.noteId]),
      )
      .orderBy('occurrence_id')
      .limit(10000)
      .select('body');
    return rows.map((r) => r.body);
  }

  async imageOccurrences(
    projectId: string,
    kinds: readonly string[],
    resourceUris: readonly string[],
    limit: number,
  ): Promise<Occurrence[]> {
    if (kinds.length === 0 || resourceUris.length === 0) return [];
    // occurrences_project_resource: (project_id, resource_uri, occurrence_id).
    const rows: { body: Occurrence }[] = await this.db('occurrences')
      .where('project_id', projectId)
      .whereIn('resource_uri', [...resourceUris])
      .whereIn('kind', [...kinds])
      .orderBy('occurrence_id')
      .limit(limit)
      .select('body');
    return rows.map((r) => r.body);
  }

  async assessmentNotes(projectId: string, productUris: readonly string[], limit: number): Promise<Note[]> {
    if (productUris.length === 0) return [];
    // notes_assessment_product: (project_id, product URI) over VULNERABILITY_ASSESSMENT notes.
    const rows: { body: Note }[] = await this.db('notes')
      .where('project_id', projectId)
      .where('kind', 'VULNERABILITY_ASSESSMENT')
      .whereRaw(`(body #>> '{vulnerabilityAssessment,product,genericUri}') = ANY(?)`, [[...productUris]])
      .orderBy('note_id')
      .limit(limit)
      .select('body');
    return rows.map((r) => r.body);
  }

  async updateOccurrence(r: OccurrenceRecord): Promise<boolean> {
    const n = await this.db('occurrences')
      .where({ occurrence_id: r.occurrenceId, project_id: r.projectId })
      .update({
        resource_uri: r.resourceUri,
        kind: r.kind,
        update_time: r.updateTime,
        body: JSON.stringify(r.body),
      });
    return n > 0;
  }

  async deleteOccurrence(name: OccurrenceName): Promise<boolean> {
    const n = await this.db('occurrences').where({ occurrence_id: name.occurrenceId, project_id: name.projectId }).delete();
    return n > 0;
  }

  /** Keyset paging over `keyColumn`, with the list's filter compiled to parameterized SQL. */
  private page<T>(base: Knex.QueryBuilder, keyColumn: string, fields: FilterFields, scope: string, query: ListQuery): Promise<Page<T>> {
    const req = { keyColumn, scope, pageSize: query.pageSize, pageToken: query.pageToken, filter: { query, fields } };
    return keysetPage(this.tokens, base.select({ [keyColumn]: keyColumn, body: 'body' }), req, (r: { body: T }) => r.body);
  }
}
