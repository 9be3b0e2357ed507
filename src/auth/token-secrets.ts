import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { MIN_SECRET_BYTES, type JwtKey } from './jwt-authenticator';
import { ensureDataDir } from '../data-dir';

/** File names under DATA_DIR for the generated HMAC secret and the bootstrap admin token. */
export const SECRET_FILE = 'jwt.secret';
export const ADMIN_TOKEN_FILE = 'admin.token';
/**
 * Subject and lifetime of the bootstrap admin token: a day, enough to create the first project and mint the
 * tokens people and machines keep (`attestd token create`, signed with the same secret).
 */
export const BOOTSTRAP_SUBJECT = 'bootstrap-admin';
export const BOOTSTRAP_TTL_SECONDS = 24 * 3600;
/** What the server says about the bootstrap token's lifetime and how to get a lasting one. */
export const BOOTSTRAP_HINT =
  'it expires after 24 hours; mint a lasting one on this host with `attestd token create --sub YOU --role admin --ttl 90d` ' +
  '(same JWT_SECRET or DATA_DIR as the server)';

/**
 * The key tokens are verified with: JWT_PUBLIC_KEY_FILE, JWT_SECRET, or (neither set) a secret generated in
 * DATA_DIR on first start, together with an admin token in DATA_DIR/admin.token. Only paths are logged.
 */
export function resolveJwtKey(config: Config, logger: Logger): JwtKey {
  if (config.jwtSecret !== undefined && config.jwtPublicKeyFile !== undefined) {
    throw new Error('set either JWT_SECRET (HS256) or JWT_PUBLIC_KEY_FILE (RS256/ES256), not both');
  }
  if (config.jwtPublicKeyFile !== undefined) {
    try {
      return { publicKeyPem: fs.readFileSync(config.jwtPublicKeyFile, 'utf8') };
    } catch (err) {
      throw new Error(`JWT_PUBLIC_KEY_FILE ${config.jwtPublicKeyFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (config.jwtSecret !== undefined) return { secret: config.jwtSecret };
  const { secret, created } = ensureGeneratedSecret(config.dataDir);
  if (created) logger.info({ path: path.join(config.dataDir, SECRET_FILE) }, 'generated a token signing secret (JWT_SECRET was not set)');
  const tokenPath = path.join(config.dataDir, ADMIN_TOKEN_FILE);
  if (!fs.existsSync(tokenPath)) {
    const token = mintToken({
      secret,
      subject: BOOTSTRAP_SUBJECT,
      roles: { '*': ['admin'] },
      ttlSeconds: BOOTSTRAP_TTL_SECONDS,
      audience: config.jwtAudience,
      issuer: config.jwtIssuer,
    });
    writePrivateFile(tokenPath, `${token}\n`);
    logger.info({ path: tokenPath }, `wrote an admin token; use it as ATTESTD_TOKEN (or --token) to set attestd up; ${BOOTSTRAP_HINT}`);
  }
  return { secret };
}

/** The HMAC secret `attestd token create` signs with: JWT_SECRET, else DATA_DIR/jwt.secret. */
export function signingSecret(config: Config): string {
  if (config.jwtSecret !== undefined) {
    if (Buffer.byteLength(config.jwtSecret, 'utf8') < MIN_SECRET_BYTES)
      throw new Error(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (UTF-8)`);
    return config.jwtSecret;
  }
  if (config.jwtPublicKeyFile !== undefined) {
    throw new Error(
      'this server verifies tokens with JWT_PUBLIC_KEY_FILE: mint tokens with the matching private key in your identity provider',
    );
  }
  const file = path.join(config.dataDir, SECRET_FILE);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(
      `no token secret: set JWT_SECRET, or point DATA_DIR at the server's data directory (${file} does not exist or cannot be read)`,
    );
  }
}

/** Reads DATA_DIR/jwt.secret, creating it (48 random bytes, base64url, mode 0600) when absent. */
export function ensureGeneratedSecret(dataDir: string): { secret: string; created: boolean } {
  const file = path.join(dataDir, SECRET_FILE);
  ensureDataDir(dataDir);
  const fresh = crypto.randomBytes(48).toString('base64url');
  try {
    writePrivateFile(file, `${fresh}\n`);
    return { secret: fresh, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (Buffer.byteLength(secret, 'utf8') < 32) throw new Error(`${file} holds fewer than 32 bytes; delete it to generate a new secret`);
  return { secret, created: false };
}

/** What a minted token grants. */
export interface TokenRequest {
  readonly secret: string;
  readonly subject: string;
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly ttlSeconds: number;
  readonly audience: string;
  readonly issuer?: string | undefined;
}

/** Signs an HS256 token with sub, aud, exp, iat, a fresh jti (its id), optional iss, and the roles claim. */
export function mintToken(r: TokenRequest): string {
  return jwt.sign({ roles: r.roles }, Buffer.from(r.secret, 'utf8'), {
    algorithm: 'HS256',
    jwtid: crypto.randomUUID(),
    subject: r.subject,
    audience: r.audience,
    expiresIn: r.ttlSeconds,
    ...(r.issuer ? { issuer: r.issuer } : {}),
  });
}

/** Parses a lifetime such as `90s`, `30m`, `24h`, `7d` into seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  if (!m || Number(m[1]) === 0) throw new Error(`--ttl must look like 90s, 30m, 24h or 7d, got "${text}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Creates a file readable only by its owner; fails with EEXIST when it already exists. */
function writePrivateFile(file: string, content: string): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}
