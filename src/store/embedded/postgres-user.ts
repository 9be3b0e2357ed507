import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedDatabaseError } from './embedded-database-error';

/** The operating-system user the embedded PostgreSQL runs as. */
export interface PostgresUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** True when attestd is root and PostgreSQL runs as the `postgres` user instead. */
  readonly switched: boolean;
}

/** A directory on a path that the user cannot enter. */
export interface TraversalBlocker {
  readonly dir: string;
  readonly mode: number;
}

/**
 * PostgreSQL refuses to run as root: as root we run it as the `postgres` user, otherwise as ourselves.
 * Throws NO_POSTGRES_USER when root has no `postgres` user to hand over to.
 */
export function resolvePostgresUser(): PostgresUser {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) {
    throw new EmbeddedDatabaseError('UNSUPPORTED_PLATFORM', 'the embedded database needs a POSIX system; set DATABASE_URL');
  }
  if (uid !== 0) return { name: os.userInfo().username, uid, gid, switched: false };
  const noUser = (why: string): EmbeddedDatabaseError =>
    new EmbeddedDatabaseError(
      'NO_POSTGRES_USER',
      `attestd runs as root and PostgreSQL refuses to run as root, but ${why}; ` +
        'create it (useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres), ' +
        'run attestd as a non-root user, or set DATABASE_URL',
    );
  let ids: number[];
  try {
    ids = ['-u', '-g'].map((flag) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
    );
  } catch {
    throw noUser('there is no "postgres" user to run it as');
  }
  const [pgUid, pgGid] = ids as [number, number];
  if (!Number.isInteger(pgUid) || !Number.isInteger(pgGid) || pgUid === 0) throw noUser('the "postgres" user has uid 0');
  return { name: 'postgres', uid: pgUid, gid: pgGid, switched: true };
}

/**
 * The first directory on the way to target (target included) that user cannot enter, judged from
 * mode bits with the user's primary group only: a child spawned with a uid drops supplementary groups.
 */
export async function findTraversalBlocker(target: string, user: PostgresUser): Promise<TraversalBlocker | undefined> {
  const resolved = path.resolve(target);
  const chain: string[] = [];
  for (let dir = resolved; ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of chain) {
    const st = await fs.stat(dir);
    const mode = st.mode & 0o7777;
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if (user.uid !== 0 && (mode & bit) === 0) return { dir, mode };
  }
  return undefined;
}

/** Formats a mode as the four octal digits people type into chmod. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
