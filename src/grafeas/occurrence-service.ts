import { newId } from '../domain/new-id';
import { GroupCommit } from '../domain/group-commit';
import { noteAdmits } from '../domain/note-admits';
import type { Access } from '../auth/access';
import { ApiError, invalidArgument, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { noteName, occurrenceName, parseNoteName, parseOccurrenceName, parseProjectName, quote, type NoteName } from '../domain/names';
import { MAX_BATCH_SIZE } from '../domain/page-size';
import type { RequestContext } from '../domain/request-context';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import { grafeasSchema, kindOf } from './grafeas-schema';
import type { OccurrenceRecord } from '../domain/stores/grafeas-store';
import type { JsonObject, ListQuery, Note, Occurrence, Page } from '../domain/message-types';
import { projectNotFound } from '../domain/stores/require-project';
import { applyMask, impliedMask, resolveMask } from '../domain/update-mask';

const SERVER_SET = new Set(['name', 'kind', 'createTime', 'updateTime']);
const IMMUTABLE = new Set(['name', 'kind', 'create_time', 'update_time', 'note_name']);
const MAX_RESOURCE_URI = 4096;

/** An occurrence checked on its own, before its note is looked up. */
interface Draft {
  readonly field: string;
  readonly note: NoteName;
  readonly kind: string | undefined;
  readonly body: JsonObject;
}

/** An occurrence ready to be written: its checked draft, its record, and who asked for it. */
interface Pending {
  readonly ctx: RequestContext;
  readonly d: Draft;
  readonly record: OccurrenceRecord | (Omit<OccurrenceRecord, 'kind'> & { kind: undefined });
}

/** One CreateOccurrence waiting for its group's statement. */
interface Single {
  readonly projectId: string;
  readonly pending: Pending;
}

/**
 * Grafeas occurrences: server-chosen time-ordered ids, kinds that match their notes, all-or-nothing batches.
 * Single creates of one project that arrive while its previous ones are being written share the next statement
 * (group commit, ADR 0081); each caller is answered after the statement holding its occurrence committed.
 */
export class OccurrenceService {
  private readonly singles: GroupCommit<Single, Occurrence>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
  ) {
    this.singles = new GroupCommit(
      (group) =>
        this.write(
          group[0]!.projectId,
          group.map((s) => s.pending),
          'CreateOccurrence',
        ),
      {
        key: (s) => s.projectId,
        maxInFlight: 2,
        // A database that is away, or a commit whose outcome is unknown, answers the whole group: written again
        // alone, an occurrence that did commit would be refused as a duplicate of itself.
        retryAlone: (err) => err instanceof ApiError || this.uow.classifyError(err)?.code !== 'UNAVAILABLE',
      },
    );
  }

  async get(ctx: RequestContext, name: string): Promise<Occurrence> {
    const o = parseOccurrenceName(name);
    this.access.check(ctx, 'occurrences.get', o.projectId);
    const occ = await this.uow.stores.grafeas.getOccurrence(o);
    if (!occ) throw notFound(`occurrence ${occurrenceName(o)} does not exist`);
    return occ;
  }

  /** The note an occurrence points at (readable with the occurrence's read permission, like Grafeas). */
  async getNote(ctx: RequestContext, name: string): Promise<Note> {
    const occ = await this.get(ctx, name);
    const n = parseNoteName(String(occ.noteName), 'noteName');
    const note = await this.uow.stores.grafeas.getNote(n);
    if (!note) throw notFound(`note ${noteName(n)} of occurrence ${name} does not exist`);
    return note;
  }

  async list(ctx: RequestContext, parent: string, query: ListQuery): Promise<Page<Occurrence>> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'occurrences.list', projectId);
    return this.uow.stores.grafeas.listOccurrences(projectId, query);
  }

  /** Occurrences of a note across the projects the caller may read. */
  async listForNote(ctx: RequestContext, name: string, query: ListQuery): Promise<Page<Occurrence>> {
    const n = parseNoteName(name);
    this.access.check(ctx, 'notes.get', n.projectId);
    if (!(await this.uow.stores.grafeas.getNote(n))) throw notFound(`note ${noteName(n)} does not exist`);
    const visible = this.access.visibleProjects(ctx, 'occurrences.list');
    return this.uow.stores.grafeas.listNoteOccurrences(n, query, visible);
  }

  async create(ctx: RequestContext, parent: string, occurrence: JsonObject): Promise<Occurrence> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'occurrences.create', projectId);
    const [pending] = this.prepare(ctx, projectId, [this.draft(occurrence, 'occurrence')]);
    return this.singles.submit({ projectId, pending: pending! });
  }

  async batchCreate(ctx: RequestContext, parent: string, occurrences: readonly JsonObject[]): Promise<Occurrence[]> {
    if (occurrences.length === 0) throw invalidArgument('occurrences must hold at least one occurrence');
    if (occurrences.length > MAX_BATCH_SIZE) {
      throw invalidArgument(`occurrences holds ${occurrences.length} items; a batch may hold at most ${MAX_BATCH_SIZE}`);
    }
    return this.createMany(ctx, parent, occurrences, 'occurrences', 'BatchCreateOccurrences');
  }

  async update(ctx: RequestContext, name: string, patch: JsonObject, maskPaths: readonly string[] | undefined): Promise<Occurrence> {
    const o = parseOccurrenceName(name);
    this.access.check(ctx, 'occurrences.update', o.projectId);
    const { occurrence: type } = grafeasSchema();
    const mask = resolveMask(type, maskPaths ?? impliedMask(patch, SERVER_SET), IMMUTABLE);
    return this.uow.transaction(async (stores) => {
      const current = await stores.grafeas.getOccurrence(o);
      if (!current) throw notFound(`occurrence ${occurrenceName(o)} does not exist`);
      if (patch.noteName !== undefined && patch.noteName !== current.noteName && !maskPaths) {
        throw invalidArgument(`occurrence.noteName cannot be changed (it is ${quote(current.noteName)})`);
      }
      const merged = applyMask(current, patch, mask);
      const draft = this.draft({ ...merged, kind: undefined }, 'occurrence');
      const kinds = await stores.grafeas.noteKinds([draft.note]);
      const kind = this.checkKind(draft, kinds);
      const now = this.clock.now();
      const body = { ...draft.body, name: occurrenceName(o), kind, createTime: current.createTime, updateTime: now };
      await stores.grafeas.updateOccurrence(this.record(o.projectId, o.occurrenceId, draft, kind, String(current.createTime), now, body));
      await this.changes.record(stores, ctx, 'UpdateOccurrence', occurrenceName(o));
      return body;
    });
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    const o = parseOccurrenceName(name);
    this.access.check(ctx, 'occurrences.delete', o.projectId);
    await this.uow.transaction(async (stores) => {
      if (!(await stores.grafeas.deleteOccurrence(o))) throw notFound(`occurrence ${occurrenceName(o)} does not exist`);
      await this.changes.record(stores, ctx, 'DeleteOccurrence', occurrenceName(o));
    });
  }

  /** Validates every item, then inserts them all in one statement; every offending item is named. */
  private async createMany(
    ctx: RequestContext,
    parent: string,
    items: readonly JsonObject[],
    field: string,
    method: string,
  ): Promise<Occurrence[]> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'occurrences.create', projectId);
    const problems: Error[] = [];
    const drafts: Draft[] = [];
    items.forEach((item, i) => {
      try {
        drafts.push(this.draft(item, `${field}[${i}]`));
      } catch (err) {
        problems.push(err as Error);
      }
    });
    throwProblems(problems, items.length);
    return this.write(projectId, this.prepare(ctx, projectId, drafts), method);
  }

  /** Gives each draft its id, name and times. */
  private prepare(ctx: RequestContext, projectId: string, drafts: readonly Draft[]): Pending[] {
    const now = this.clock.now();
    return drafts.map((d) => {
      const occurrenceId = newId();
      const name = occurrenceName({ projectId, occurrenceId });
      return {
        ctx,
        d,
        record: this.record(projectId, occurrenceId, d, d.kind, now, now, { ...d.body, name, createTime: now, updateTime: now }),
      };
    });
  }

  /**
   * Writes the occurrences and their audit events (each with its caller) in one statement, or nothing when a check
   * fails; the checks below then name what was wrong from what the statement found.
   */
  private async write(projectId: string, pending: readonly Pending[], method: string): Promise<Occurrence[]> {
    return this.uow.singleWrite(async (stores) => {
      const events = pending.flatMap((p) => this.changes.prepareMany(stores, p.ctx, method, [String(p.record.body.name)]));
      const found = await stores.grafeas.createOccurrences(
        projectId,
        pending.map((p) => p.record),
        events,
      );
      if (!found.projectExists) throw projectNotFound(projectId);
      const problems: Error[] = [];
      const created = pending.map(({ d, record }) => {
        try {
          const kind = this.checkKind(d, found.kinds);
          const { name, createTime, updateTime } = record.body;
          return { ...d.body, name, kind, createTime, updateTime };
        } catch (err) {
          problems.push(err as Error);
          return undefined;
        }
      });
      throwProblems(problems, pending.length);
      if (!found.created) throw new Error(`occurrences of ${projectId} were refused although their project and notes admit them`);
      return created as Occurrence[];
    });
  }

  private draft(item: JsonObject, field: string): Draft {
    const { occurrence: type } = grafeasSchema();
    if (typeof item.resourceUri !== 'string' || item.resourceUri === '') {
      throw invalidArgument(`${field}.resourceUri is required: the artifact, e.g. "https://registry.example.com/ns/app@sha256:<64 hex>"`);
    }
    if (item.resourceUri.length > MAX_RESOURCE_URI) {
      throw invalidArgument(`${field}.resourceUri is longer than ${MAX_RESOURCE_URI} characters`);
    }
    if (typeof item.noteName !== 'string' || item.noteName === '') {
      throw invalidArgument(`${field}.noteName is required: "projects/{project}/notes/{note}"`);
    }
    const note = parseNoteName(item.noteName, `${field}.noteName`);
    const kind = kindOf(type, 'details', item, field);
    const body = { ...item };
    delete body.name;
    return { field, note, kind, body };
  }

  /** The occurrence's kind: its details' kind, which must be its note's kind; the note must exist. */
  private checkKind(d: Draft, kinds: ReadonlyMap<string, string>): string {
    const name = noteName(d.note);
    const noteKind = kinds.get(name);
    if (noteKind === undefined) throw notFound(`${d.field}.noteName: note ${name} does not exist`);
    if (!noteAdmits(noteKind, d.kind)) {
      throw invalidArgument(`${d.field}: occurrence kind ${d.kind} does not match the kind ${noteKind} of note ${name}`);
    }
    return d.kind ?? noteKind;
  }

  private record<K extends string | undefined>(
    projectId: string,
    occurrenceId: string,
    d: Draft,
    kind: K,
    createTime: string,
    updateTime: string,
    body: JsonObject,
  ): Omit<OccurrenceRecord, 'kind'> & { kind: K } {
    return {
      projectId,
      occurrenceId,
      resourceUri: String(d.body.resourceUri),
      noteProjectId: d.note.projectId,
      noteId: d.note.noteId,
      kind,
      createTime,
      updateTime,
      body,
    };
  }
}

function throwProblems(problems: readonly Error[], total: number): void {
  if (problems.length === 0) return;
  if (total === 1) throw problems[0]!;
  const messages = problems.map((p) => p.message).join('; ');
  throw invalidArgument(`${problems.length} of ${total} occurrences are invalid, nothing was created: ${messages}`);
}
