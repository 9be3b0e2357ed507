import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';

/** How often the token file is read again even without a change event (projected tokens rotate hourly or so). */
export const TOKEN_FILE_REREAD_MS = 60_000;
/** Largest token file read. */
const MAX_TOKEN_BYTES = 16 * 1024;

/**
 * The adapter's bearer token read from a file (--token-file / ATTESTD_TOKEN_FILE), e.g. a Kubernetes projected
 * service-account token, which the kubelet rewrites before it expires (by swapping a symlink in the directory).
 * Read at start (a missing, unreadable or empty file stops the start, naming the file), again whenever the
 * directory reports a change, every TOKEN_FILE_REREAD_MS, and when attestd answered 401; a read that fails or
 * finds the file empty keeps the last token (logged once).
 */
export class TokenFile {
  private token: string;
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
    rereadMs = TOKEN_FILE_REREAD_MS,
  ) {
    this.token = readToken(file);
    try {
      this.watcher = fs.watch(path.dirname(path.resolve(file)), () => this.reread());
      this.watcher.on('error', () => undefined);
      this.watcher.unref();
    } catch {
      // no change events here: the periodic read still picks up a new token
    }
    this.timer = setInterval(() => this.reread(), rereadMs);
    this.timer.unref();
  }

  /** The token as last read. */
  current(): string {
    return this.token;
  }

  /** Reads the file again now (keeping the last token when it cannot be read or is empty). */
  reread(): void {
    try {
      const next = readToken(this.file);
      if (next !== this.token) this.logger.info({ tokenFile: this.file }, 'bearer token file changed: using the new token');
      this.token = next;
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn({ err: (err as Error).message }, 'the token file cannot be read; the last token stays in use');
      this.failing = true;
    }
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.timer);
  }
}

function readToken(file: string): string {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_TOKEN_BYTES + 1);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      if (n > MAX_TOKEN_BYTES)
        throw new Error(`--token-file ${file} is larger than ${MAX_TOKEN_BYTES / 1024} KiB: it does not hold a token`);
      text = buf.subarray(0, n).toString('utf8').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as Error).message.startsWith('--token-file')) throw err;
    throw new Error(`--token-file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (text === '' || /\s/.test(text))
    throw new Error(`--token-file ${file} must hold one bearer token (a JWT), got ${text === '' ? 'an empty file' : 'several words'}`);
  return text;
}
