import { execFile } from 'node:child_process';
import path from 'node:path';

/** The CLI entry point as users run it. */
export const ATTESTD_BIN = path.join(__dirname, '..', '..', '..', 'bin', 'attestd.js');

/** What one CLI run printed and returned. */
type CliRun = { code: number; stdout: string; stderr: string };

/**
 * Runs `node bin/attestd.js …` as users do, with only `env` (and PATH) in its environment; 30 s at most. `node`:
 * another Node binary than this one.
 */
export function runAttestd(args: readonly string[], env: Record<string, string> = {}, options: { node?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      options.node ?? process.execPath,
      [ATTESTD_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err: (Error & { code?: string | number | null }) | null, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(new Error(`attestd could not run: ${err.message}`));
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}
