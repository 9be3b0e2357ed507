import fs from 'node:fs';

/**
 * Creates DATA_DIR (and its parents) if missing. Mode 0711: others may traverse it but not list it —
 * the embedded PostgreSQL runs as user `postgres` when attestd runs as root and must reach its cluster
 * directory inside; every secret file in DATA_DIR is itself 0600.
 */
export function ensureDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
}
