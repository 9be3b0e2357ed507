import { ROLES } from '../auth/permissions';
import { mintToken, parseTtl, signingSecret } from '../auth/token-secrets';
import { loadConfig, parseFlags } from '../config';

const USAGE = `usage: attestd token create --sub SUBJECT --role ROLE [--role ROLE...] [--project PROJECT] [--ttl 24h]

Prints a signed token. ROLE is one of ${ROLES.join(', ')}; --project defaults to * (every project);
--ttl is 90s, 30m, 24h or 7d (default 24h). Signs with JWT_SECRET, else DATA_DIR/jwt.secret.`;

/** `attestd token create`: mints an HS256 token with the server's secret; returns the exit code. */
export function tokenCommand(argv: readonly string[], out = process.stdout, err = process.stderr): number {
  const [sub, ...rest] = argv;
  if (sub !== 'create') {
    (sub === undefined || sub === 'help' || sub === '--help' ? out : err).write(`${USAGE}\n`);
    return sub === 'help' || sub === '--help' ? 0 : 2;
  }
  const roles: string[] = [];
  const others: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--role' && i + 1 < rest.length) roles.push(rest[++i]!);
    else if (a.startsWith('--role=')) roles.push(a.slice('--role='.length));
    else others.push(a);
  }
  const { flags, args } = parseFlags(others);
  const problems: string[] = [];
  if (args.length > 0) problems.push(`unexpected argument "${args[0]}"`);
  const subject = flags.SUB ?? '';
  if (!subject || subject === 'true')
    problems.push('--sub is required (who the token identifies, recorded as the actor in the audit trail)');
  if (roles.length === 0) problems.push('at least one --role is required');
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) problems.push(`unknown role "${r}"; roles are ${ROLES.join(', ')}`);
  const project = flags.PROJECT ?? '*';
  if (project !== '*' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(project))
    problems.push(`--project must be a project id or *, got "${project}"`);
  let ttl = 0;
  try {
    ttl = parseTtl(flags.TTL ?? '24h');
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) {
    err.write(`attestd token create: ${problems.join('; ')}\n\n${USAGE}\n`);
    return 2;
  }
  const known = new Set(['SUB', 'PROJECT', 'TTL']);
  const config = loadConfig(process.env, Object.fromEntries(Object.entries(flags).filter(([k]) => !known.has(k))));
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
