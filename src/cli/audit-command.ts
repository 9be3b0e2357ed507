import path from 'node:path';
import { createStores } from '../app/create-stores';
import { ANCHOR_FILE, readAnchors } from '../audit/audit-anchors';
import { verifyAuditChains } from '../audit/audit-verifier';
import { CONFIG_FLAGS, loadConfig } from '../config';
import { commandFlags } from './command-flags';
import { createLogger } from '../logger';
import { AuditSequencer } from '../audit/audit-sequencer';

const USAGE = `usage: attestd audit verify [--project P] [--anchors FILE]

Checks every audit chain in the database (DATABASE_URL, else the embedded database in DATA_DIR) and the
chain heads anchored in FILE (default DATA_DIR/${ANCHOR_FILE}). Exits 1 naming the project and event where
a chain breaks (a modified, inserted or deleted event, the newest included).`;

/** `attestd audit verify`; resolves the exit code. */
export async function auditCommand(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') {
    const help = sub === 'help' || sub === '--help' || sub === '-h';
    (sub === undefined || help ? out : err).write(`${USAGE}\n`);
    return help ? 0 : 2;
  }
  return commandFlags('audit verify', rest, VERIFY_FLAGS, USAGE, (settings) => verify(settings, out, err), { out, err });
}

const VERIFY_FLAGS = { ...CONFIG_FLAGS, project: { type: 'string' }, anchors: { type: 'string' } } as const;

async function verify(settings: Readonly<Record<string, string>>, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { PROJECT: project, ANCHORS: anchorFile } = settings;
  const config = loadConfig(process.env, settings);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const file = anchorFile ?? path.join(config.dataDir, ANCHOR_FILE);
  const { anchors, badLines } = readAnchors(file);
  // Read-mostly: no migrations, and a page-token key of its own rather than the shared one (which it would create).
  const stores = await createStores(config, logger, { migrate: false, pageTokens: 'ephemeral' });
  try {
    const { uow } = stores;
    // Events a server committed but had not chained yet (it was stopped, or is busy) are chained first, as the
    // server would; what cannot be chained (a read-only connection) is reported as pending.
    const sequencing = await new AuditSequencer(uow, logger).flushAll().then(
      () => undefined,
      (e: Error) => e.message,
    );
    const pending = await uow.stores.audit.pendingCount(project);
    const report = await verifyAuditChains(uow.stores.audit, anchors, project);
    if (sequencing) err.write(`note: pending audit events could not be chained: ${sequencing}\n`);
    for (const line of badLines) err.write(`${file}:${line}: not an anchor line\n`);
    for (const p of report.problems) {
      err.write(
        `BROKEN project ${p.projectId}${p.seq !== undefined ? ` event ${p.seq}` : ''}${p.eventId ? ` (${p.eventId})` : ''}: ${p.message}\n`,
      );
    }
    const ok = report.problems.length === 0 && badLines.length === 0;
    out.write(
      `${ok ? 'ok' : 'FAILED'}: ${report.chains} chain(s), ${report.events} event(s) verified, ${anchors.length} anchor(s) from ${file}; ${report.problems.length} broken chain(s)${pending > 0 ? `; ${pending} event(s) not yet chained` : ''}\n`,
    );
    return ok ? 0 : 1;
  } finally {
    await stores.close();
  }
}
