import { promises as fs } from 'node:fs';
import { ApiError, failedPrecondition } from '../../domain/api-error';
import { credentialRegistry, RegistryCredentials, type RegistrySecret } from './registry-credentials';

/** Largest credentials file read; a `.dockerconfigjson` is a few hundred bytes. */
export const MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024;

const EXPECTED = 'expected a .dockerconfigjson file: {"auths":{"registry.example:5000":{"auth":"<base64 of username:password>"}}}';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(source: string, problem: string): never {
  throw failedPrecondition(`registry credentials file ${JSON.stringify(source)} ${problem}`);
}

function optionalString(entry: Record<string, unknown>, field: string, where: string, source: string): string | undefined {
  const value = entry[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(source, `: ${where}.${field} must be a string`);
  return value;
}

/** Reads one `auths` entry; messages name the registry and field, never the value. */
function readEntry(key: string, entry: unknown, source: string): RegistrySecret {
  const where = `auths.${JSON.stringify(key)}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(source, `: ${where} must be an object`);
  const e = entry as Record<string, unknown>;
  const auth = optionalString(e, 'auth', where, source);
  const identityToken = optionalString(e, 'identitytoken', where, source);
  let username = optionalString(e, 'username', where, source);
  let password = optionalString(e, 'password', where, source);
  if (auth !== undefined) {
    if (!BASE64.test(auth)) fail(source, `: ${where}.auth is not base64 (expected base64 of "username:password")`);
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) fail(source, `: ${where}.auth does not decode to "username:password" (no ":" in it)`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if ((username === undefined) !== (password === undefined)) {
    fail(
      source,
      `: ${where} has a ${username === undefined ? 'password' : 'username'} without a ${username === undefined ? 'username' : 'password'}`,
    );
  }
  const secret: RegistrySecret = {};
  if (username !== undefined && password !== undefined && (username !== '' || password !== '')) {
    secret.username = username;
    secret.password = password;
  }
  if (identityToken !== undefined) secret.identityToken = identityToken;
  if (secret.username === undefined && secret.identityToken === undefined) {
    fail(
      source,
      `: ${where} holds no credentials attestd can use: give "auth", "username" and "password", or "identitytoken" (credential helpers "credsStore"/"credHelpers" are not run)`,
    );
  }
  return secret;
}

/** Parses `.dockerconfigjson` text (`{"auths":{…}}`, or the older `.dockercfg` form without `auths`); throws FAILED_PRECONDITION naming what is wrong. */
export function parseRegistryCredentials(text: string, source: string): RegistryCredentials {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's text, which holds secrets: say only that it is not JSON.
    fail(source, `is not valid JSON (${EXPECTED})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(source, `does not hold a JSON object (${EXPECTED})`);
  const top = doc as Record<string, unknown>;
  let auths: unknown = top.auths;
  if (auths === undefined) {
    const values = Object.values(top);
    const legacy = values.length > 0 && values.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && 'auth' in v);
    if (!legacy) fail(source, `has no "auths" object (${EXPECTED})`);
    auths = top;
  }
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) fail(source, `: "auths" must be an object (${EXPECTED})`);
  const secrets = new Map<string, RegistrySecret>();
  const keyOf = new Map<string, string>();
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    const registry = credentialRegistry(key);
    if (registry === '') fail(source, `: auths key ${JSON.stringify(key)} names no registry host`);
    const secret = readEntry(key, entry, source);
    const earlier = secrets.get(registry);
    if (earlier !== undefined && JSON.stringify(earlier) !== JSON.stringify(secret)) {
      fail(
        source,
        `: auths keys ${JSON.stringify(keyOf.get(registry))} and ${JSON.stringify(key)} both name ${registry} with different credentials; keep one`,
      );
    }
    secrets.set(registry, secret);
    keyOf.set(registry, key);
  }
  return new RegistryCredentials(secrets, source);
}

/** Reads registry credentials from a `.dockerconfigjson`-style file (a Kubernetes image pull secret); throws FAILED_PRECONDITION with a clear message. */
export async function loadRegistryCredentials(path: string): Promise<RegistryCredentials> {
  let bytes: Buffer;
  try {
    const handle = await fs.open(path, 'r');
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) fail(path, 'is a directory, not a file');
      if (stat.size > MAX_CREDENTIALS_FILE_BYTES)
        fail(path, `is ${stat.size} bytes, more than the ${MAX_CREDENTIALS_FILE_BYTES}-byte limit`);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(path, `does not exist (${EXPECTED})`);
    if (code === 'EACCES' || code === 'EPERM') fail(path, 'cannot be read: permission denied');
    if (code === 'EISDIR') fail(path, 'is a directory, not a file');
    if (code !== undefined) fail(path, `cannot be read (${code})`);
    throw err;
  }
  return parseRegistryCredentials(bytes.toString('utf8'), path);
}
