import { ROLES } from '../auth/permissions';
import { mintToken, parseTtl, signingSecret } from '../auth/token-secrets';
import { CONFIG_FLAGS, loadConfig } from '../config';
import type { FlagValues } from '../flags';
import { commandFlags } from './command-flags';
import { runGroup } from './command-table';
import { TOKEN_LIFECYCLE } from './token-lifecycle-commands';

const USAGE = `usage: attestd token create --sub SUBJECT --role ROLE [--role ROLE...] [--project PROJECT] [--ttl 24h]
       attestd token list|get JTI|revoke JTI [--server URL] [--token T]

create prints a signed token. ROLE is one of ${ROLES.join(', ')}; --project defaults to * (every project);
--ttl is 90s, 30m, 24h or 7d (default 24h). Signs with JWT_SECRET, else DATA_DIR/jwt.secret. Every token
has a jti; attestd records it (never the token) the first time it is used.

list, get and revoke ask a running attestd (admin role on *): a revoked token is refused by every replica
within seconds.`;

/** `attestd token create`: mints an HS256 token with the server's secret; returns the exit code. */
export function tokenCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list' || sub === 'get' || sub === 'revoke') return runGroup(TOKEN_LIFECYCLE, argv, { out, err, env: process.env });
  if (sub !== 'create') {
    const help = sub === 'help' || sub === '--help' || sub === '-h';
    (sub === undefined || help ? out : err).write(`${USAGE}\n`);
    return Promise.resolve(help ? 0 : 2);
  }
  const run = (settings: Readonly<Record<string, string>>, values: FlagValues) => Promise.resolve(create(settings, values, out, err));
  return commandFlags('token create', rest, CREATE_FLAGS, USAGE, run, { out, err });
}

const CREATE_FLAGS = {
  ...CONFIG_FLAGS,
  sub: { type: 'string' },
  role: { type: 'string', multiple: true },
  project: { type: 'string' },
  ttl: { type: 'string' },
} as const;

function create(
  settings: Readonly<Record<string, string>>,
  values: FlagValues,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  const roles = Array.isArray(values.role) ? values.role : [];
  const problems: string[] = [];
  const subject = settings.SUB ?? '';
  if (!subject) problems.push('--sub is required (who the token identifies, recorded as the actor in the audit trail)');
  if (roles.length === 0) problems.push('at least one --role is required');
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) problems.push(`unknown role "${r}"; roles are ${ROLES.join(', ')}`);
  const project = settings.PROJECT ?? '*';
  if (project !== '*' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(project))
    problems.push(`--project must be a project id or *, got "${project}"`);
  let ttl = 0;
  try {
    ttl = parseTtl(settings.TTL ?? '24h');
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) {
    err.write(`attestd token create: ${problems.join('; ')}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(process.env, settings);
  let secret: string;
  try {
    secret = signingSecret(config);
  } catch (e) {
    err.write(`attestd token create: ${(e as Error).message}\n`);
    return 1;
  }
  const token = mintToken({
    secret,
    subject,
    roles: { [project]: [...new Set(roles)] },
    ttlSeconds: ttl,
    audience: config.jwtAudience,
    issuer: config.jwtIssuer,
  });
  out.write(`${token}\n`);
  return 0;
}
