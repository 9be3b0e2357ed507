import crypto from 'node:crypto';
import { invalidArgument } from '../domain/api-error';
import { quote } from '../domain/names';
import { PROVIDER_ALGORITHMS, type InlineJwks, type ProviderAlgorithm, type RoleBinding } from '../domain/resources/identity-provider-spec';
import type { SpecReader } from '../resources/spec-reader';
import { ROLES } from '../auth/permissions';

/** Most role bindings a provider holds. */
export const MAX_ROLE_BINDINGS = 100;
/** Most keys an inline JWK Set holds. */
export const MAX_INLINE_KEYS = 20;
/** Longest issuer or JWKS URL. */
const MAX_URL = 512;
/** Hosts for which plain http is allowed (a test or sidecar issuer on the same machine). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** JWK members that only private or symmetric keys have. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** An https URL (http only for a loopback host), without credentials or fragment. `required` says what it is for. */
export function readTrustedUrl(f: SpecReader, field: string, required: string): string {
  const text = f.text(field, { ...(required ? { required } : {}), max: MAX_URL });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument(`${f.path(field)} must be an https URL, got ${quote(text)}`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw invalidArgument(
      `${f.path(field)} must be an https URL (http is allowed only for 127.0.0.1, [::1] and localhost), got ${quote(text)}`,
    );
  }
  if (url.username || url.password) throw invalidArgument(`${f.path(field)} must not carry credentials (user:password@)`);
  if (url.hash) throw invalidArgument(`${f.path(field)} must not have a fragment (#…)`);
  return text;
}

/** The pinned signature algorithms: at least one, each asymmetric (never "none", never HMAC). */
export function readAlgorithms(f: SpecReader): ProviderAlgorithm[] {
  const list = f.strings('algorithms', PROVIDER_ALGORITHMS.length);
  const allowed = PROVIDER_ALGORITHMS.join(', ');
  if (list.length === 0) throw invalidArgument(`${f.path('algorithms')} is required: the issuer's signature algorithms, from ${allowed}`);
  list.forEach((alg, i) => {
    if ((PROVIDER_ALGORITHMS as readonly string[]).includes(alg)) return;
    const why = /^none$/i.test(alg)
      ? 'unsigned tokens are never accepted'
      : /^HS/i.test(alg)
        ? 'HMAC would let anyone holding the public key sign tokens'
        : 'not a supported asymmetric algorithm';
    throw invalidArgument(`${f.path('algorithms')}[${i}] is ${quote(alg)}: ${why}; use one of ${allowed}`);
  });
  return list as ProviderAlgorithm[];
}

/** The role bindings: at least one; each a non-empty claim name and value and known roles. */
export function readRoleBindings(f: SpecReader): RoleBinding[] {
  const field = f.path('roleBindings');
  const v = f.value('roleBindings') ?? [];
  if (!Array.isArray(v)) throw invalidArgument(`${field} must be a list of {"claim", "equals", "roles"}`);
  if (v.length === 0)
    throw invalidArgument(
      `${field} is required: which tokens get which roles, e.g. [{"claim":"sub","equals":"system:serviceaccount:attestd:admission","roles":["admission"]}]`,
    );
  if (v.length > MAX_ROLE_BINDINGS) throw invalidArgument(`${field} may hold at most ${MAX_ROLE_BINDINGS} bindings`);
  return v.map((b: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalidArgument(`${at} must be {"claim", "equals", "roles"}`);
    const { claim, equals, roles } = b as Record<string, unknown>;
    if (typeof claim !== 'string' || claim.trim() === '' || claim.length > 256)
      throw invalidArgument(`${at}.claim must be a claim name of 1-256 characters, e.g. "sub", got ${shown(claim)}`);
    if (typeof equals !== 'string' || equals === '' || equals.length > 1024)
      throw invalidArgument(`${at}.equals must be the claim's value, a string of 1-1024 characters, got ${shown(equals)}`);
    if (!Array.isArray(roles) || roles.length === 0) throw invalidArgument(`${at}.roles is required: one or more of ${ROLES.join(', ')}`);
    roles.forEach((r: unknown, j) => {
      if (typeof r !== 'string' || !(ROLES as readonly string[]).includes(r))
        throw invalidArgument(`${at}.roles[${j}] must be one of ${ROLES.join(', ')}, got ${shown(r)}`);
    });
    return { claim, equals, roles: [...new Set(roles as string[])] };
  });
}

/** A value for a message: a string quoted, anything else as JSON. */
const shown = (v: unknown): string => quote(typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** An inline JWK Set, or undefined when absent: public RSA, EC or OKP keys only. */
export function readInlineJwks(f: SpecReader): InlineJwks | undefined {
  const v = f.value('jwks');
  const field = f.path('jwks');
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Array.isArray((v as { keys?: unknown }).keys))
    throw invalidArgument(`${field} must be a JWK Set: {"keys": [{"kty": …}, …]}`);
  const keys = (v as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > MAX_INLINE_KEYS) throw invalidArgument(`${field}.keys must hold 1-${MAX_INLINE_KEYS} keys`);
  return {
    keys: keys.map((k, i) => {
      const at = `${field}.keys[${i}]`;
      if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalidArgument(`${at} must be a JWK (a JSON object)`);
      const jwk = k as Record<string, unknown>;
      if (!['RSA', 'EC', 'OKP'].includes(String(jwk.kty)))
        throw invalidArgument(`${at}.kty must be RSA, EC or OKP (a public key), got ${quote(JSON.stringify(jwk.kty))}`);
      const secret = PRIVATE_MEMBERS.filter((m) => m in jwk);
      if (secret.length > 0) throw invalidArgument(`${at} is a private key (it has "${secret.join('", "')}"): give only the public key`);
      try {
        crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
      } catch {
        throw invalidArgument(`${at} is not a valid public ${String(jwk.kty)} key`);
      }
      return jwk;
    }),
  };
}
