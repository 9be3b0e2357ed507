import fs from 'node:fs';
import type { Logger } from './logger';

/** How a CertificateReloader finds and checks its material. */
export interface CertificateReloaderOptions<T> {
  /** The files watched (certificate, key, CA bundle); a change to any of them reloads all. */
  readonly files: readonly string[];
  /** Reads and checks the files; throws a message naming the file for anything unusable. */
  readonly load: () => T;
  /** How often the files are polled (polling follows symlink swaps such as a Kubernetes Secret volume's). */
  readonly intervalMs: number;
  /** Names the listener in logs, e.g. "REST and gRPC". */
  readonly what: string;
  readonly logger: Logger;
}

/**
 * Serving material that follows its files: when one changes, the files are read and checked again; valid
 * material replaces the old for every listener, and anything else (garbage, a half-written pair, a key of
 * another certificate) is logged as an error while the previous material keeps serving.
 */
export class CertificateReloader<T> {
  private material: T;
  private readonly listeners: Array<(material: T) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** What the files looked like when they were last read: a poll that sees anything else reads them again. */
  private seen: string;

  constructor(
    private readonly options: CertificateReloaderOptions<T>,
    initial: T,
  ) {
    this.material = initial;
    this.seen = this.signature();
  }

  /** The material currently served. */
  get current(): T {
    return this.material;
  }

  /** Calls `listener` with every new material from now on. */
  onChange(listener: (material: T) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Starts polling the files. Each poll compares them with what they were when last read (from the initial
   * load on), so a rotation that lands before the first poll is not missed.
   */
  start(): void {
    this.timer ??= setInterval(() => {
      if (this.signature() !== this.seen) this.reload();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Identity, size and modification time of each file, following symlinks (a Secret volume's swap changes it). */
  private signature(): string {
    return this.options.files
      .map((file) => {
        try {
          const st = fs.statSync(file);
          return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }

  /** Reads the files now; true when new material was taken, false when the old one stays (and was logged). */
  reload(): boolean {
    this.seen = this.signature();
    let next: T;
    try {
      next = this.options.load();
    } catch (err) {
      this.options.logger.error(
        { files: this.options.files, err: (err as Error).message },
        `TLS certificate reload FAILED for ${this.options.what}: still serving the previous certificate; fix the files`,
      );
      return false;
    }
    this.material = next;
    for (const listener of this.listeners) listener(next);
    this.options.logger.info({ files: this.options.files }, `TLS certificate reloaded for ${this.options.what}`);
    return true;
  }
}
