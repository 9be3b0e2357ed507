import type { Access } from '../auth/access';
import { failedPrecondition, invalidArgument } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import { parseFilter } from '../domain/filter/parse-filter';
import { parseImageReference, requireDigest, resourceUri } from '../domain/image-reference';
import type { JsonObject, Occurrence } from '../domain/message-types';
import { noteName, occurrenceName, parseOccurrenceName, parseProjectName, type NoteName } from '../domain/names';
import { newId } from '../domain/new-id';
import { MAX_PAGE_SIZE } from '../domain/page-size';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { NoteRecord, OccurrenceRecord } from '../domain/stores/grafeas-store';
import { projectNotFound } from '../domain/stores/require-project';
import type { Stores, UnitOfWork } from '../domain/stores/unit-of-work';
import { checkReportImage, parseScanReport } from '../domain/vulnerability/parse-scan-report';
import {
  discoveryOccurrenceBody,
  foundByMarker,
  scannerNoteBody,
  scannerNoteId,
  vulnerabilityNoteBody,
  vulnerabilityOccurrenceBody,
} from './scan-records';

/** Rows written per statement (keeps every insert well under Postgres' bind-parameter limit). */
const WRITE_CHUNK = 1000;
/** Pages of an image's occurrences read when looking for a scanner's previous findings (× MAX_PAGE_SIZE). */
const MAX_PREVIOUS_PAGES = 1000;

/** What an import wrote: the DISCOVERY occurrence, how many VULNERABILITY occurrences, how many old ones it replaced. */
export interface ScanImportResult {
  discovery: string;
  vulnerabilities: number;
  replaced: number;
}

/** A note to be created, and the kind an existing one must have. */
interface WantedNote {
  name: NoteName;
  kind: string;
  body: JsonObject;
}

/**
 * Imports scanner reports (Trivy, Grype) as Grafeas VULNERABILITY occurrences (one per vulnerability per image,
 * on a note per vulnerability, created once) and a DISCOVERY occurrence recording the scan, in one transaction;
 * the scanner's previous findings for the image are removed in the same transaction, in the audit trail.
 */
export class ScanImportService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    /** The project holding vulnerability and scanner notes; undefined: the importing project. */
    private readonly notesProject: string | undefined,
  ) {}

  async import(ctx: RequestContext, parent: string, image: string, report: unknown, format: string): Promise<ScanImportResult> {
    const projectId = parseProjectName(parent, 'parent');
    this.access.check(ctx, 'scans.import', projectId);
    if (image === '')
      throw invalidArgument('image is required: the scanned image by digest, e.g. "registry.example.com/ns/app@sha256:<64 hex>"');
    const ref = parseImageReference(image);
    const digest = requireDigest(ref);
    const uri = resourceUri(ref);
    if (report === undefined || report === null) throw invalidArgument("report is required: the scanner's JSON report as it wrote it");
    const scan = parseScanReport(report, format);
    checkReportImage(scan, digest, image);
    const notesProject = this.notesProject ?? projectId;
    const scannerNote: NoteName = { projectId: notesProject, noteId: scannerNoteId(scan.scanner.name) };
    const wanted: WantedNote[] = [
      { name: scannerNote, kind: 'DISCOVERY', body: scannerNoteBody(scan.scanner.name) },
      ...scan.findings.map((f) => ({
        name: { projectId: notesProject, noteId: f.id },
        kind: 'VULNERABILITY',
        body: vulnerabilityNoteBody(f),
      })),
    ];
    return this.uow.transaction(async (stores) => {
      // One import per scanner and image at a time, so that replacing the previous findings is never interleaved.
      await stores.grafeas.lockNoteResources([{ note: scannerNote, uri }]);
      const { projectExists, kinds } = await stores.grafeas.occurrenceTargets(
        projectId,
        wanted.map((w) => w.name),
      );
      if (!projectExists) throw projectNotFound(projectId);
      if (notesProject !== projectId && !(await stores.projects.lockShared(notesProject))) {
        throw failedPrecondition(
          `the vulnerability notes project projects/${notesProject} (VULNERABILITY_NOTES_PROJECT) does not exist; an admin must create it`,
        );
      }
      await this.ensureNotes(stores, ctx, wanted, kinds);
      const replaced = await this.removePrevious(stores, ctx, projectId, uri, scan.scanner.name, noteName(scannerNote));
      const records = [
        this.record(projectId, uri, scannerNote, 'DISCOVERY', discoveryOccurrenceBody(uri, scannerNote, scan)),
        ...scan.findings.map((f) => {
          const note = { projectId: notesProject, noteId: f.id };
          return this.record(projectId, uri, note, 'VULNERABILITY', vulnerabilityOccurrenceBody(uri, note, f, scan));
        }),
      ];
      for (let i = 0; i < records.length; i += WRITE_CHUNK) await stores.grafeas.insertOccurrences(records.slice(i, i + WRITE_CHUNK));
      await this.recordChanges(
        stores,
        ctx,
        'ImportScan',
        records.map((r) => String(r.body.name)),
      );
      return { discovery: String(records[0]!.body.name), vulnerabilities: scan.findings.length, replaced };
    });
  }

  /** Creates the notes that do not exist yet; an existing note must be of the kind the import needs. */
  private async ensureNotes(stores: Stores, ctx: RequestContext, wanted: readonly WantedNote[], kinds: Map<string, string>): Promise<void> {
    const now = this.clock.now();
    const missing: NoteRecord[] = wanted
      .filter((w) => !kinds.has(noteName(w.name)))
      .map((w) => ({
        ...w.name,
        kind: w.kind,
        createTime: now,
        updateTime: now,
        body: { ...w.body, name: noteName(w.name), kind: w.kind, createTime: now, updateTime: now },
      }));
    const taken: string[] = [];
    for (let i = 0; i < missing.length; i += WRITE_CHUNK)
      taken.push(...(await stores.grafeas.insertNotes(missing.slice(i, i + WRITE_CHUNK))));
    if (taken.length > 0) {
      // Created by a concurrent import since the lookup: read their kinds like the others'.
      const raced = missing.filter((m) => taken.includes(m.noteId)).map((m) => ({ projectId: m.projectId, noteId: m.noteId }));
      for (const [name, kind] of await stores.grafeas.noteKinds(raced)) kinds.set(name, kind);
    }
    for (const w of wanted) {
      const kind = kinds.get(noteName(w.name));
      if (kind !== undefined && kind !== w.kind && kind !== 'NOTE_KIND_UNSPECIFIED') {
        throw failedPrecondition(`note ${noteName(w.name)} exists with kind ${kind}; the import needs it to be a ${w.kind} note`);
      }
    }
    const created = missing.filter((m) => !taken.includes(m.noteId)).map((m) => String(m.body.name));
    await this.recordChanges(stores, ctx, 'ImportScan', created);
  }

  /** Deletes the scanner's previous DISCOVERY and VULNERABILITY occurrences of the image in the project; returns how many findings. */
  private async removePrevious(
    stores: Stores,
    ctx: RequestContext,
    projectId: string,
    uri: string,
    scanner: string,
    scannerNote: string,
  ): Promise<number> {
    const previous: Occurrence[] = [];
    const filterText = `resourceUri = "${uri}"`;
    const filter = parseFilter(filterText);
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PREVIOUS_PAGES; page++) {
      const found = await stores.grafeas.listOccurrences(projectId, { filter, filterText, pageSize: MAX_PAGE_SIZE, pageToken });
      previous.push(...found.items.filter((o) => isScannersOccurrence(o, scanner, scannerNote)));
      if (!found.nextPageToken) break;
      pageToken = found.nextPageToken;
    }
    const names = previous.map((o) => String(o.name));
    for (const o of previous) await stores.grafeas.deleteOccurrence(parseOccurrenceName(String(o.name)));
    await this.recordChanges(stores, ctx, 'ImportScan.Replace', names);
    return previous.filter((o) => o.kind === 'VULNERABILITY').length;
  }

  private record(projectId: string, uri: string, note: NoteName, kind: string, body: JsonObject): OccurrenceRecord {
    const occurrenceId = newId();
    const now = this.clock.now();
    const name = occurrenceName({ projectId, occurrenceId });
    return {
      projectId,
      occurrenceId,
      resourceUri: uri,
      noteProjectId: note.projectId,
      noteId: note.noteId,
      kind,
      createTime: now,
      updateTime: now,
      body: { ...body, name, createTime: now, updateTime: now },
    };
  }

  private async recordChanges(stores: Stores, ctx: RequestContext, method: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    if (this.changes.recordMany) await this.changes.recordMany(stores, ctx, method, names);
    else for (const name of names) await this.changes.record(stores, ctx, method, name);
  }
}

/** Whether an occurrence is one of the scanner's imported findings or scan records. */
function isScannersOccurrence(o: Occurrence, scanner: string, scannerNote: string): boolean {
  if (o.kind === 'DISCOVERY') return o.noteName === scannerNote;
  if (o.kind !== 'VULNERABILITY') return false;
  const details = o.vulnerability as JsonObject | undefined;
  const extra = typeof details?.extraDetails === 'string' ? details.extraDetails : '';
  const marker = foundByMarker(scanner);
  return extra === marker || extra.startsWith(`${marker} `);
}
