import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import { ensureDataDir } from '../data-dir';

/** File under DATA_DIR the chain heads are appended to, and how often. */
export const ANCHOR_FILE = 'audit-anchors.log';
export const ANCHOR_INTERVAL_MS = 60_000;

/** One line of the anchor log: a chain head seen at `time`. */
export interface Anchor {
  readonly project: string;
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
}

/**
 * Anchors every chain head outside the database: periodically (and at shutdown) appends the heads that moved
 * to an append-only JSON-lines file, so that rewriting the newest events together with the head table is
 * still detected by `attestd audit verify` up to the last anchor.
 */
export class AuditAnchorWriter {
  private readonly written = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly file: string,
    private readonly logger: Logger,
    private readonly intervalMs = ANCHOR_INTERVAL_MS,
  ) {}

  start(): void {
    ensureDataDir(path.dirname(this.file));
    for (const a of readAnchors(this.file).anchors) this.written.set(a.project, `${a.seq}:${a.hash}`);
    this.timer ??= setInterval(() => void this.write(), this.intervalMs);
    this.timer.unref();
  }

  /** Appends the heads that changed since the last write. */
  write(): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        const heads = await this.uow.stores.audit.heads();
        const time = new Date().toISOString();
        const lines: string[] = [];
        for (const h of heads) {
          const mark = `${h.seq}:${h.hash}`;
          if (h.seq === 0 || this.written.get(h.projectId) === mark) continue;
          lines.push(JSON.stringify({ project: h.projectId, seq: h.seq, hash: h.hash, time }));
          this.written.set(h.projectId, mark);
        }
        if (lines.length > 0) await fs.promises.appendFile(this.file, `${lines.join('\n')}\n`, { mode: 0o600 });
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, path: this.file }, 'could not anchor the audit chain heads');
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.write();
  }
}

/** Reads an anchor log; a missing file has no anchors, an unreadable line is reported. */
export function readAnchors(file: string): { anchors: Anchor[]; badLines: number[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { anchors: [], badLines: [] };
  }
  const anchors: Anchor[] = [];
  const badLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const a = JSON.parse(line) as Anchor;
      if (typeof a.project !== 'string' || !Number.isInteger(a.seq) || typeof a.hash !== 'string') throw new Error('shape');
      anchors.push(a);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { anchors, badLines };
}
