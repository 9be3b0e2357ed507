import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { EmbeddedDatabaseError } from './embedded-database-error';
import { bootId, isProcessAlive, processStartTime } from './process-info';

// Two layers make the data directory lock both race-free and crash-safe:
// 1. A guard: a listening Linux abstract unix socket named after the directory. Binding is atomic
//    and the kernel releases it the moment the holder dies (even by kill -9), so there are no
//    stale guards, and two starters on one machine are strictly serialized. Its descriptor is
//    close-on-exec, so an orphaned postgres child never keeps it.
// 2. DATA_DIR/attestd.lock, created with O_EXCL and holding the holder's pid, process start time
//    and boot id. It names the holder in the "in use" message, and it still refuses a second
//    holder whose guard lives in another network namespace (a second container on a shared
//    volume). A lock file whose process is dead, was recorded before a reboot, or whose pid now
//    belongs to a different process is stale; it is replaced only while holding the guard.

const LOCK_FILE = 'attestd.lock';
const HOLDER_WAIT_MS = 1000;

interface LockHolder {
  pid: number;
  startTime?: string;
  bootId?: string;
}

/** An exclusive claim on a data directory; release() is idempotent. */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Claims dataDir (which must exist) for this process, or throws DATA_DIR_IN_USE naming the holder's pid. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const realDir = await fs.realpath(dataDir);
  const lockPath = path.join(realDir, LOCK_FILE);
  let guard: net.Server;
  try {
    guard = await bindGuard(realDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw inUse(dataDir, await waitForHolder(lockPath));
  }
  let content: string;
  try {
    content = await writeLockFile(lockPath, dataDir);
  } catch (err) {
    await closeGuard(guard);
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    path: lockPath,
    release: () => (released ??= releaseLock(lockPath, content, guard)),
  };
}

function bindGuard(realDir: string): Promise<net.Server> {
  const name = `\0attestd-data-dir:${createHash('sha256').update(realDir).digest('hex')}`;
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ path: name, exclusive: true }, () => {
      server.off('error', reject);
      server.unref();
      resolve(server);
    });
  });
}

function closeGuard(guard: net.Server): Promise<void> {
  return new Promise((resolve) => guard.close(() => resolve()));
}

async function writeLockFile(lockPath: string, dataDir: string): Promise<string> {
  const me: LockHolder = { pid: process.pid, startTime: processStartTime(process.pid), bootId: bootId() };
  const content = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await fs.open(lockPath, 'wx', 0o644);
      try {
        await file.writeFile(content);
        await file.sync();
      } finally {
        await file.close();
      }
      return content;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(lockPath);
    if (holder !== undefined && isHolderAlive(holder)) throw inUse(dataDir, holder.pid);
    // Stale (dead holder, reused pid, or a holder killed while writing): we hold the guard, so no
    // other starter on this machine can be doing the same right now.
    await fs.rm(lockPath, { force: true });
  }
  throw new EmbeddedDatabaseError('DATA_DIR_IN_USE', `could not create the lock file ${lockPath}; another process keeps creating it`);
}

async function releaseLock(lockPath: string, content: string, guard: net.Server): Promise<void> {
  try {
    // Remove the file only if it is still ours.
    if ((await fs.readFile(lockPath, 'utf8').catch(() => undefined)) === content) await fs.rm(lockPath, { force: true });
  } finally {
    await closeGuard(guard);
  }
}

async function readHolder(lockPath: string): Promise<LockHolder | undefined> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(lockPath, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const holder = parsed as Partial<LockHolder>;
    return Number.isInteger(holder.pid) ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

function isHolderAlive(holder: LockHolder): boolean {
  if (!isProcessAlive(holder.pid)) return false;
  const currentBoot = bootId();
  if (holder.bootId !== undefined && currentBoot !== undefined && holder.bootId !== currentBoot) return false;
  const startTime = processStartTime(holder.pid);
  return holder.startTime === undefined || startTime === undefined || holder.startTime === startTime;
}

/** The guard holder may not have written its lock file yet; give it a moment so the message can name it. */
async function waitForHolder(lockPath: string): Promise<number | undefined> {
  const deadline = Date.now() + HOLDER_WAIT_MS;
  for (;;) {
    const holder = await readHolder(lockPath);
    if (holder !== undefined && isHolderAlive(holder)) return holder.pid;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function inUse(dataDir: string, pid: number | undefined): EmbeddedDatabaseError {
  const who = pid === undefined ? 'another attestd process' : `attestd process ${pid}`;
  return new EmbeddedDatabaseError(
    'DATA_DIR_IN_USE',
    `data directory ${dataDir} is in use by ${who}; stop it first or choose another DATA_DIR`,
  );
}
