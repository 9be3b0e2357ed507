import path from 'node:path';
import { canonicalName, environmentName, type FlagSpecs, type FlagValues } from './flags';

/** Everything attestd reads from its environment, typed and frozen. The only reader of process.env. */
export interface Config {
  readonly databaseUrl: string | undefined;
  /**
   * A connection straight to Postgres for what needs a session (LISTEN for other replicas' changes, the
   * migration lock) when DATABASE_URL points at a transaction-pooling pgbouncer (DATABASE_DIRECT_URL; default
   * DATABASE_URL).
   */
  readonly databaseDirectUrl: string | undefined;
  /** How long start-up waits for a database that refuses connections before giving up (DATABASE_WAIT_SECONDS, default 30). */
  readonly databaseWaitSeconds: number;
  readonly dataDir: string;
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly admissionPort: number;
  readonly logLevel: string;
  readonly migrateOnStart: boolean;
  readonly databasePoolMax: number;
  readonly jwtSecret: string | undefined;
  readonly jwtPublicKeyFile: string | undefined;
  readonly jwtAudience: string;
  readonly jwtIssuer: string | undefined;
  readonly masterKey: string | undefined;
  readonly masterKeyFile: string | undefined;
  readonly metricsPublic: boolean;
  /** One pino line per REST request and gRPC call: method, route, status, duration, actor (ACCESS_LOG, default false). */
  readonly accessLog: boolean;
  readonly shutdownGraceMs: number;
  /**
   * How long a REST request or gRPC call may wait on the database before it answers UNAVAILABLE
   * (REQUEST_DEADLINE_MS, default 30000; a shorter grpc-timeout wins). ADR 0075.
   */
  readonly requestDeadlineMs: number;
  /** Cache verification verdicts per project generation (VERDICT_CACHE, default true). */
  readonly verdictCache: boolean;
  /** Days ignored registry events and event-id receipts are kept (HOOK_EVENT_RETENTION_DAYS, default 7). */
  readonly hookEventRetentionDays: number;
  /** PEM certificate chain and key: REST becomes https and gRPC uses TLS (TLS_CERT_FILE, TLS_KEY_FILE; default off). */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** CA bundle gRPC clients' certificates must chain to; set → client certificates required (TLS_CLIENT_CA_FILE). */
  readonly tlsClientCaFile: string | undefined;
  /**
   * How often the TLS files (and the admission webhook's --tls-cert/--tls-key) are checked for a change, which
   * is then served without a restart (TLS_RELOAD_INTERVAL_MS, default 5000).
   */
  readonly tlsReloadIntervalMs: number;
  /** Requests per minute per token subject (anonymous: per address) on both transports; 0 = no limit (RATE_LIMIT_PER_MINUTE). */
  readonly rateLimitPerMinute: number;
  /** Bucket size: requests a caller may send at once (RATE_LIMIT_BURST, default = RATE_LIMIT_PER_MINUTE). */
  readonly rateLimitBurst: number;
  /** The project holding the notes of imported vulnerabilities; unset: each importing project holds its own (VULNERABILITY_NOTES_PROJECT). */
  readonly vulnerabilityNotesProject: string | undefined;
  /** A `.dockerconfigjson`-style file with the credentials import rules and the mutating webhook read registries with (REGISTRY_AUTH_FILE; unset: anonymous). */
  readonly registryAuthFile: string | undefined;
  /** Serve the read-only auditor console at /console/ on the REST port (CONSOLE, default true). */
  readonly console: boolean;
  /**
   * How many serving processes `attestd serve` runs on its ports (WORKERS, --workers); undefined when not set:
   * then the cores available with DATABASE_URL, one with the embedded database (ADR 0070).
   */
  readonly workers: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable loadConfig reads; each is also a flag (`--http-port 8081`, `--HTTP_PORT=8081`). */
export const CONFIG_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_DIRECT_URL',
  'DATABASE_WAIT_SECONDS',
  'DATA_DIR',
  'HOST',
  'HTTP_PORT',
  'GRPC_PORT',
  'ADMISSION_PORT',
  'LOG_LEVEL',
  'MIGRATE_ON_START',
  'DATABASE_POOL_MAX',
  'JWT_SECRET',
  'JWT_PUBLIC_KEY_FILE',
  'JWT_AUDIENCE',
  'JWT_ISSUER',
  'MASTER_KEY',
  'MASTER_KEY_FILE',
  'METRICS_PUBLIC',
  'ACCESS_LOG',
  'SHUTDOWN_GRACE_MS',
  'REQUEST_DEADLINE_MS',
  'VERDICT_CACHE',
  'HOOK_EVENT_RETENTION_DAYS',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'TLS_CLIENT_CA_FILE',
  'TLS_RELOAD_INTERVAL_MS',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_LIMIT_BURST',
  'VULNERABILITY_NOTES_PROJECT',
  'REGISTRY_AUTH_FILE',
  'CONSOLE',
  'WORKERS',
] as const;
type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

/** The admission settings: the contract's short flag (`--server`) and the variable it overrides (also a flag). */
export const ADMISSION_VARIABLES = [
  ['SERVER', 'ATTESTD_SERVER'],
  ['TOKEN', 'ATTESTD_TOKEN'],
  ['TOKEN_FILE', 'ATTESTD_TOKEN_FILE'],
  ['PROJECT', 'ADMISSION_PROJECT'],
  ['CLUSTER', 'ADMISSION_CLUSTER'],
  ['TLS_CERT', 'ADMISSION_TLS_CERT'],
  ['TLS_KEY', 'ADMISSION_TLS_KEY'],
  ['DEADLINE_MS', 'ADMISSION_DEADLINE_MS'],
  ['FAIL_OPEN', 'ADMISSION_FAIL_OPEN'],
  ['BODY_LIMIT', 'ADMISSION_BODY_LIMIT'],
  ['CA_FILE', 'ADMISSION_CA_FILE'],
  ['INSECURE_SERVER', 'ADMISSION_INSECURE_SERVER'],
  ['MUTATE', 'ADMISSION_MUTATE'],
  ['PLAIN_HTTP_REGISTRIES', 'ADMISSION_PLAIN_HTTP_REGISTRIES'],
  ['RESOLVE_TIMEOUT_MS', 'ADMISSION_RESOLVE_TIMEOUT_MS'],
] as const;

/** The admission settings that are switches (`--insecure-server`), not values. */
const ADMISSION_SWITCHES: readonly string[] = ['INSECURE_SERVER', 'ADMISSION_INSECURE_SERVER', 'MUTATE', 'ADMISSION_MUTATE'];
type AdmissionVariable = (typeof ADMISSION_VARIABLES)[number];

/** The flags of every command that reads the configuration: one per variable, taking a value. */
export const CONFIG_FLAGS: FlagSpecs = Object.fromEntries(CONFIG_VARIABLES.map((v) => [canonicalName(v), { type: 'string' }]));

/** The admission webhook's flags (`attestd admission`, `attestd serve --admission`): `--server` and `--attestd-server` alike. */
export const ADMISSION_FLAGS: FlagSpecs = Object.fromEntries(
  ADMISSION_VARIABLES.flat().map((v) => [canonicalName(v), { type: ADMISSION_SWITCHES.includes(v) ? 'boolean' : 'string' }]),
);

/** Parsed flag values as the NAME → value map loadConfig and loadAdmissionConfig read (`http-port` → `HTTP_PORT`). */
export function settingsOf(values: FlagValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === 'string') out[environmentName(name)] = v;
    else if (typeof v === 'boolean') out[environmentName(name)] = String(v);
  }
  return out;
}

/** Flags (`--http-port 1234` or `--HTTP_PORT=1234`) override environment variables of the same name. */
export function loadConfig(env: Env = process.env, flags: Env = {}): Config {
  const get = (name: ConfigVariable): string | undefined => {
    const v = flags[name] ?? env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  return Object.freeze({
    databaseUrl: databaseUrl(get('DATABASE_URL')),
    databaseDirectUrl: get('DATABASE_DIRECT_URL')
      ? databaseUrl(get('DATABASE_DIRECT_URL'), 'DATABASE_DIRECT_URL')
      : databaseUrl(get('DATABASE_URL')),
    databaseWaitSeconds: int(get('DATABASE_WAIT_SECONDS'), 30, 'DATABASE_WAIT_SECONDS', 0, 3600),
    dataDir: path.resolve(get('DATA_DIR') ?? './data'),
    host: get('HOST') ?? '0.0.0.0',
    httpPort: port(get('HTTP_PORT'), 8080, 'HTTP_PORT'),
    grpcPort: port(get('GRPC_PORT'), 9090, 'GRPC_PORT'),
    admissionPort: port(get('ADMISSION_PORT'), 8443, 'ADMISSION_PORT'),
    logLevel: logLevel(get('LOG_LEVEL') ?? 'info'),
    migrateOnStart: bool(get('MIGRATE_ON_START'), true, 'MIGRATE_ON_START'),
    databasePoolMax: int(get('DATABASE_POOL_MAX'), 10, 'DATABASE_POOL_MAX', 1, 200),
    jwtSecret: get('JWT_SECRET'),
    jwtPublicKeyFile: get('JWT_PUBLIC_KEY_FILE'),
    jwtAudience: get('JWT_AUDIENCE') ?? 'attestd',
    jwtIssuer: get('JWT_ISSUER'),
    masterKey: get('MASTER_KEY'),
    masterKeyFile: get('MASTER_KEY_FILE'),
    metricsPublic: bool(get('METRICS_PUBLIC'), true, 'METRICS_PUBLIC'),
    accessLog: bool(get('ACCESS_LOG'), false, 'ACCESS_LOG'),
    shutdownGraceMs: int(get('SHUTDOWN_GRACE_MS'), 10000, 'SHUTDOWN_GRACE_MS', 0, 600000),
    requestDeadlineMs: int(get('REQUEST_DEADLINE_MS'), 30000, 'REQUEST_DEADLINE_MS', 100, 60000),
    verdictCache: bool(get('VERDICT_CACHE'), true, 'VERDICT_CACHE'),
    hookEventRetentionDays: int(get('HOOK_EVENT_RETENTION_DAYS'), 7, 'HOOK_EVENT_RETENTION_DAYS', 1, 3650),
    tlsCertFile: get('TLS_CERT_FILE'),
    tlsKeyFile: get('TLS_KEY_FILE'),
    tlsClientCaFile: get('TLS_CLIENT_CA_FILE'),
    tlsReloadIntervalMs: int(get('TLS_RELOAD_INTERVAL_MS'), 5000, 'TLS_RELOAD_INTERVAL_MS', 50, 3_600_000),
    rateLimitPerMinute: int(get('RATE_LIMIT_PER_MINUTE'), 0, 'RATE_LIMIT_PER_MINUTE', 0, 1_000_000),
    rateLimitBurst: int(get('RATE_LIMIT_BURST') ?? get('RATE_LIMIT_PER_MINUTE'), 0, 'RATE_LIMIT_BURST', 0, 1_000_000),
    vulnerabilityNotesProject: projectId(get('VULNERABILITY_NOTES_PROJECT'), 'VULNERABILITY_NOTES_PROJECT'),
    registryAuthFile: get('REGISTRY_AUTH_FILE'),
    console: bool(get('CONSOLE'), true, 'CONSOLE'),
    workers: get('WORKERS') === undefined ? undefined : int(get('WORKERS'), 1, 'WORKERS', 1, 256),
  });
}

/** A postgres:// URL; the message never repeats the value, which may hold a password. */
function databaseUrl(v: string | undefined, name = 'DATABASE_URL'): string | undefined {
  if (v === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || !/^postgres(ql)?:$/.test(url.protocol)) {
    const got = url ? `a ${url.protocol.slice(0, -1)}: URL` : 'a value that is not a URL';
    throw new Error(`${name} must be a postgres://user:password@host:5432/database URL, got ${got}`);
  }
  return v;
}

/** A project id (as `projects/{id}` takes it), or undefined when unset. */
function projectId(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(v)) {
    throw new Error(`${name} must be a project id (1-128 letters, digits, "-", "_" or "." starting with a letter or digit), got "${v}"`);
  }
  return v;
}

function port(v: string | undefined, dflt: number, name: string): number {
  return int(v, dflt, name, 0, 65535);
}

function int(v: string | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  }
  return Number(v);
}

function bool(v: string | undefined, dflt: boolean, name: string): boolean {
  if (v === undefined) return dflt;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw new Error(`${name} must be true or false, got "${v}"`);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
function logLevel(v: string): string {
  if (!LEVELS.includes(v)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${v}"`);
  return v;
}

/** The admission webhook's settings (`attestd admission`, `attestd serve --admission`); host and port come from Config. */
export interface AdmissionConfig {
  /** attestd's REST URL for the remote adapter: --server / ATTESTD_SERVER (default http://127.0.0.1:8080). */
  readonly server: string;
  /** Bearer token with the `admission` role: --token / ATTESTD_TOKEN. */
  readonly token: string | undefined;
  /**
   * A file holding that token, read again when it changes (a Kubernetes projected service-account token):
   * --token-file / ATTESTD_TOKEN_FILE; exclusive with --token.
   */
  readonly tokenFile: string | undefined;
  /** The project whose policies apply: --project / ADMISSION_PROJECT (default "default"). */
  readonly project: string;
  /** This cluster's name in policies: --cluster / ADMISSION_CLUSTER (default "default"). */
  readonly cluster: string;
  /** Serving certificate and key (PEM files): --tls-cert / ADMISSION_TLS_CERT, --tls-key / ADMISSION_TLS_KEY. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Internal deadline for a verdict: ADMISSION_DEADLINE_MS (default 5000, below the webhook's 10 s). */
  readonly deadlineMs: number;
  /** Admit unverified when attestd cannot answer: ADMISSION_FAIL_OPEN (default false: deny). */
  readonly failOpen: boolean;
  /**
   * Largest AdmissionReview body: ADMISSION_BODY_LIMIT bytes (default 3 MiB: Kubernetes objects are at most
   * ~1.5 MiB in etcd, and a review carries object and oldObject).
   */
  readonly bodyLimitBytes: number;
  /** PEM CA bundle that attestd's TLS certificate must chain to: --ca-file / ADMISSION_CA_FILE (default: system CAs). */
  readonly caFile: string | undefined;
  /** Allow an http:// --server: --insecure-server / ADMISSION_INSECURE_SERVER (default false: refused). */
  readonly insecureServer: boolean;
  /** Serve the mutating webhook (POST /mutate, tags pinned to digests): --mutate / ADMISSION_MUTATE (default false). */
  readonly mutate: boolean;
  /** Registry hosts /mutate reaches over plain http: --plain-http-registries / ADMISSION_PLAIN_HTTP_REGISTRIES (comma-separated). */
  readonly plainHttpRegistries: readonly string[];
  /** Time /mutate gives the registries: ADMISSION_RESOLVE_TIMEOUT_MS (default 3000, below the webhook's 10 s). */
  readonly resolveTimeoutMs: number;
}

/** Reads the admission settings; a contract flag (`--server`, `--project`, …) wins over its environment variable. */
export function loadAdmissionConfig(env: Env = process.env, flags: Env = {}): AdmissionConfig {
  const get = (flag: AdmissionVariable[0], name: AdmissionVariable[1]): string | undefined => {
    const v = flags[flag] ?? flags[name] ?? env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const token = get('TOKEN', 'ATTESTD_TOKEN');
  const tokenFile = get('TOKEN_FILE', 'ATTESTD_TOKEN_FILE');
  if (token !== undefined && tokenFile !== undefined) {
    throw new Error(
      '--token and --token-file are mutually exclusive: give the token (--token / ATTESTD_TOKEN) or the file that holds it ' +
        '(--token-file / ATTESTD_TOKEN_FILE, e.g. a projected service-account token), not both',
    );
  }
  return Object.freeze({
    server: get('SERVER', 'ATTESTD_SERVER') ?? 'http://127.0.0.1:8080',
    token,
    tokenFile,
    project: get('PROJECT', 'ADMISSION_PROJECT') ?? 'default',
    cluster: get('CLUSTER', 'ADMISSION_CLUSTER') ?? 'default',
    tlsCertFile: get('TLS_CERT', 'ADMISSION_TLS_CERT'),
    tlsKeyFile: get('TLS_KEY', 'ADMISSION_TLS_KEY'),
    deadlineMs: int(get('DEADLINE_MS', 'ADMISSION_DEADLINE_MS'), 5000, 'ADMISSION_DEADLINE_MS', 100, 29000),
    failOpen: bool(get('FAIL_OPEN', 'ADMISSION_FAIL_OPEN'), false, 'ADMISSION_FAIL_OPEN'),
    bodyLimitBytes: int(get('BODY_LIMIT', 'ADMISSION_BODY_LIMIT'), 3 * 1024 * 1024, 'ADMISSION_BODY_LIMIT', 1024, 64 * 1024 * 1024),
    caFile: get('CA_FILE', 'ADMISSION_CA_FILE'),
    insecureServer: bool(get('INSECURE_SERVER', 'ADMISSION_INSECURE_SERVER'), false, 'ADMISSION_INSECURE_SERVER'),
    mutate: bool(get('MUTATE', 'ADMISSION_MUTATE'), false, 'ADMISSION_MUTATE'),
    plainHttpRegistries: Object.freeze(
      (get('PLAIN_HTTP_REGISTRIES', 'ADMISSION_PLAIN_HTTP_REGISTRIES') ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
    resolveTimeoutMs: int(get('RESOLVE_TIMEOUT_MS', 'ADMISSION_RESOLVE_TIMEOUT_MS'), 3000, 'ADMISSION_RESOLVE_TIMEOUT_MS', 100, 29000),
  });
}
