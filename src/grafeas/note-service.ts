import type { Access } from '../auth/access';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { checkNoteId, noteName, parseNoteName, parseProjectName, type NoteName } from '../domain/names';
import { MAX_BATCH_SIZE } from '../domain/page-size';
import type { RequestContext } from '../domain/request-context';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import { grafeasSchema, kindOf } from './grafeas-schema';
import type { JsonObject, ListQuery, Note, Page } from '../domain/message-types';
import type { NoteRecord } from '../domain/stores/grafeas-store';
import { applyMask, impliedMask, resolveMask } from '../domain/update-mask';
import { requireProject } from '../domain/stores/require-project';

const SERVER_SET = new Set(['name', 'kind', 'createTime', 'updateTime']);
const IMMUTABLE = new Set(['name', 'kind', 'create_time', 'update_time']);

/** Grafeas notes: create, read, list, update with masks, delete (refused while occurrences use the note). */
export class NoteService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
  ) {}

  async get(ctx: RequestContext, name: string): Promise<Note> {
    const n = parseNoteName(name);
    this.access.check(ctx, 'notes.get', n.projectId);
    const note = await this.uow.stores.grafeas.getNote(n);
    if (!note) throw notFound(`note ${noteName(n)} does not exist`);
    return note;
  }

  async list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<Note>> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'notes.list', projectId);
    return this.uow.stores.grafeas.listNotes(projectId, query);
  }

  async create(ctx: RequestContext, parent: string, noteId: string, note: JsonObject): Promise<Note> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'notes.create', projectId);
    if (!noteId) throw invalidArgument('noteId is required: the id of the new note, e.g. ?noteId=my-attestor');
    const record = this.newRecord(projectId, checkNoteId(noteId), note, 'note');
    return this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      const taken = await stores.grafeas.insertNotes([record]);
      const name = String(record.body.name);
      if (taken.length > 0) throw alreadyExists(`note ${name} already exists`);
      await this.changes.record(stores, ctx, 'CreateNote', name);
      return record.body;
    });
  }

  async batchCreate(ctx: RequestContext, parent: string, notes: Record<string, JsonObject>): Promise<Note[]> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'notes.create', projectId);
    const ids = Object.keys(notes);
    if (ids.length === 0) throw invalidArgument('notes must hold at least one note, keyed by note id');
    if (ids.length > MAX_BATCH_SIZE) {
      throw invalidArgument(`notes holds ${ids.length} notes; a batch may hold at most ${MAX_BATCH_SIZE}`);
    }
    const problems: string[] = [];
    const records: NoteRecord[] = [];
    for (const id of ids) {
      try {
        records.push(this.newRecord(projectId, checkNoteId(id, `notes["${id}"]`), notes[id]!, `notes["${id}"]`));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length > 0) throw invalidArgument(`${problems.length} of ${ids.length} notes are invalid: ${problems.join('; ')}`);
    return this.uow.transaction(async (stores) => {
      await requireProject(stores, projectId);
      const taken = await stores.grafeas.insertNotes(records);
      if (taken.length > 0) {
        throw alreadyExists(
          `${taken.length} notes already exist, nothing was created: ${taken.map((id) => `projects/${projectId}/notes/${id}`).join(', ')}`,
        );
      }
      for (const r of records) await this.changes.record(stores, ctx, 'BatchCreateNotes', String(r.body.name));
      return records.map((r) => r.body);
    });
  }

  async update(ctx: RequestContext, name: string, patch: JsonObject, maskPaths: readonly string[] | undefined): Promise<Note> {
    const n = parseNoteName(name);
    this.access.check(ctx, 'notes.update', n.projectId);
    const { note: type } = grafeasSchema();
    const mask = resolveMask(type, maskPaths ?? impliedMask(patch, SERVER_SET), IMMUTABLE);
    return this.uow.transaction(async (stores) => {
      const current = await stores.grafeas.getNote(n);
      if (!current) throw notFound(`note ${noteName(n)} does not exist`);
      const merged = applyMask(current, patch, mask);
      const kind = kindOf(type, 'type', { ...merged, kind: undefined }, 'note') ?? 'NOTE_KIND_UNSPECIFIED';
      if (kind !== current.kind && (await stores.grafeas.countNoteOccurrences(n)) > 0) {
        throw failedPrecondition(`note ${noteName(n)} is ${String(current.kind)} and has occurrences; its kind cannot change to ${kind}`);
      }
      const now = this.clock.now();
      const body = { ...merged, name: noteName(n), kind, createTime: current.createTime, updateTime: now };
      await stores.grafeas.updateNote({ ...n, kind, createTime: String(current.createTime), updateTime: now, body });
      await this.changes.record(stores, ctx, 'UpdateNote', noteName(n));
      return body;
    });
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    const n = parseNoteName(name);
    this.access.check(ctx, 'notes.delete', n.projectId);
    await this.uow.transaction(async (stores) => {
      await this.refuseIfReferenced(stores, n);
      if (!(await stores.grafeas.deleteNote(n))) throw notFound(`note ${noteName(n)} does not exist`);
      await this.changes.record(stores, ctx, 'DeleteNote', noteName(n));
    });
  }

  private async refuseIfReferenced(stores: Stores, n: NoteName): Promise<void> {
    const count = await stores.grafeas.countNoteOccurrences(n);
    if (count > 0) {
      throw failedPrecondition(
        `note ${noteName(n)} is still referenced by ${count} occurrence(s); delete them first (list them at ${noteName(n)}/occurrences)`,
      );
    }
  }

  private newRecord(projectId: string, noteId: string, note: JsonObject, field: string): NoteRecord {
    const kind = kindOf(grafeasSchema().note, 'type', note, field) ?? 'NOTE_KIND_UNSPECIFIED';
    const now = this.clock.now();
    const name = `projects/${projectId}/notes/${noteId}`;
    const body = { ...note, name, kind, createTime: now, updateTime: now };
    return { projectId, noteId, kind, createTime: now, updateTime: now, body };
  }
}
