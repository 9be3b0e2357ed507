import type { Access } from '../auth/access';
import { failedPrecondition } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { noteName, parseProjectName, type NoteName } from '../domain/names';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { NoteRecord } from '../domain/stores/grafeas-store';
import { projectNotFound } from '../domain/stores/require-project';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { parseOpenVex } from '../domain/vulnerability/parse-openvex';
import { suppresses, vexNoteBody, vexNoteId } from './vex-records';

/** The kind of the notes VEX statements are stored as. */
export const VEX_NOTE_KIND = 'VULNERABILITY_ASSESSMENT';

/** Notes written per statement (keeps every insert well under Postgres' bind-parameter limit). */
const WRITE_CHUNK = 1000;

/** What an import wrote: one note per statement and product, how many of them suppress findings. */
export interface VexImportResult {
  notes: string[];
  statements: number;
  suppressing: number;
}

/**
 * Imports OpenVEX documents as Grafeas VULNERABILITY_ASSESSMENT notes in the project, one per vulnerability and
 * product (a later statement about the same pair replaces the earlier one), in one transaction, audited. Admission
 * reads them: `not_affected` and `fixed` statements suppress matching findings (see docs/vulnerabilities.md).
 */
export class VexImportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
  ) {}

  async import(ctx: RequestContext, parent: string, document: unknown): Promise<VexImportResult> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'vex.import', projectId);
    const doc = parseOpenVex(document);
    const now = this.clock.now();
    const records: NoteRecord[] = doc.statements.map((s) => {
      const name: NoteName = { projectId, noteId: vexNoteId(s) };
      return {
        ...name,
        kind: VEX_NOTE_KIND,
        createTime: now,
        updateTime: now,
        body: { ...vexNoteBody(doc, s), name: noteName(name), kind: VEX_NOTE_KIND, createTime: now, updateTime: now },
      };
    });
    return this.uow.transaction(async (stores) => {
      const { projectExists, kinds } = await stores.grafeas.occurrenceTargets(projectId, records);
      if (!projectExists) throw projectNotFound(projectId);
      for (const r of records) {
        const kind = kinds.get(noteName(r));
        if (kind !== undefined && kind !== VEX_NOTE_KIND) {
          throw failedPrecondition(`note ${noteName(r)} exists with kind ${kind}; a VEX statement needs a ${VEX_NOTE_KIND} note`);
        }
      }
      const fresh = records.filter((r) => !kinds.has(noteName(r)));
      const taken = new Set<string>();
      for (let i = 0; i < fresh.length; i += WRITE_CHUNK) {
        for (const id of await stores.grafeas.insertNotes(fresh.slice(i, i + WRITE_CHUNK))) taken.add(id);
      }
      const replaced = records.filter((r) => kinds.has(noteName(r)) || taken.has(r.noteId));
      for (const r of replaced) {
        const current = await stores.grafeas.getNote(r);
        const createTime = typeof current?.createTime === 'string' ? current.createTime : now;
        if (current?.kind !== VEX_NOTE_KIND) {
          throw failedPrecondition(`note ${noteName(r)} exists with another kind; a VEX statement needs a ${VEX_NOTE_KIND} note`);
        }
        await stores.grafeas.updateNote({ ...r, createTime, body: { ...r.body, createTime } });
      }
      const names = records.map((r) => noteName(r));
      const created = records.filter((r) => !replaced.includes(r)).map((r) => noteName(r));
      const updated = replaced.map((r) => noteName(r));
      await this.record(stores, ctx, 'ImportVex', created);
      await this.record(stores, ctx, 'ImportVex.Replace', updated);
      return { notes: names, statements: names.length, suppressing: doc.statements.filter(suppresses).length };
    });
  }

  private async record(stores: Stores, ctx: RequestContext, method: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    if (this.changes.recordMany) await this.changes.recordMany(stores, ctx, method, names);
    else for (const name of names) await this.changes.record(stores, ctx, method, name);
  }
}
