import path from 'node:path';
import { createStores } from '../app/create-stores';
import { ANCHOR_FILE, readAnchors } from '../audit/audit-anchors';
import { verifyAuditChains } from '../audit/audit-verifier';
import { CONFIG_FLAGS, loadConfig } from '../config';
import { ApiCallError, ApiClient, clientSettings, TOKEN_HINT } from './api-client';
import { commandFlags } from './command-flags';
import { createLogger } from '../logger';
import { AuditSequencer } from '../audit/audit-sequencer';

const USAGE = `usage: attestd audit verify [--project P] [--anchors FILE]
       attestd audit verify --server URL [--token T] [--project P]

Checks every audit chain in the database (DATABASE_URL, else the embedded database in DATA_DIR) and the
chain heads anchored in FILE (default DATA_DIR/${ANCHOR_FILE}). Exits 1 naming the project and event where
a chain breaks (a modified, inserted or deleted event, the newest included).

With --server, a running attestd checks them instead (GET /v1/projects/P/auditEvents:verify, against its own
database and anchor log): every project the token may read (--token, else ATTESTD_TOKEN), or only P.`;

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

const VERIFY_FLAGS = {
  ...CONFIG_FLAGS,
  project: { type: 'string' },
  anchors: { type: 'string' },
  server: { type: 'string' },
  token: { type: 'string' },
} as const;

async function verify(settings: Readonly<Record<string, string>>, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (settings.SERVER !== undefined) return verifyRemote(settings, out, err);
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

/** `--server`: asks a running attestd to verify each chain the token may read. */
async function verifyRemote(
  settings: Readonly<Record<string, string>>,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (settings.ANCHORS !== undefined) {
    err.write('attestd audit verify: --anchors reads a local file; with --server the server checks its own anchor log\n');
    return 2;
  }
  const { server, token } = clientSettings({ server: settings.SERVER, token: settings.TOKEN }, process.env);
  if (!token) {
    err.write(`attestd audit verify: no token: ${TOKEN_HINT}\n`);
    return 2;
  }
  const client = new ApiClient(server, token);
  try {
    const only = settings.PROJECT?.replace(/^projects\//, '');
    const projects =
      only !== undefined ? [only] : (await client.list('/v1/projects', 'projects')).map((p) => String(p.name).slice('projects/'.length));
    let events = 0;
    let anchors = 0;
    let broken = 0;
    for (const project of projects) {
      const r = await client.get(`/v1/projects/${encodeURIComponent(project)}/auditEvents:verify`);
      events += Number(r.events ?? 0);
      anchors += Number(r.anchors ?? 0);
      const problems = Array.isArray(r.problems) ? (r.problems as Array<Record<string, string>>) : [];
      if (problems.length > 0) broken++;
      for (const p of problems) {
        const seq = p.seq && p.seq !== '0' ? ` event ${p.seq}` : '';
        err.write(`BROKEN project ${project}${seq}${p.eventId ? ` (${p.eventId})` : ''}: ${p.message}\n`);
      }
      if (Number(r.pendingEvents ?? 0) > 0) err.write(`note: project ${project} has ${String(r.pendingEvents)} event(s) not yet chained\n`);
    }
    out.write(
      `${broken === 0 ? 'ok' : 'FAILED'}: ${projects.length} chain(s), ${events} event(s) verified, ${anchors} anchor(s) checked by ${client.server}; ${broken} broken chain(s)\n`,
    );
    return broken === 0 ? 0 : 1;
  } catch (e) {
    if (!(e instanceof ApiCallError)) throw e;
    err.write(`attestd audit verify: ${e.status}: ${e.message}\n`);
    return 1;
  }
}
