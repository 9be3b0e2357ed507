import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { sh } from './start-docker-registry';

// A small Docker token service (the distribution "token" auth spec) for docker-registry's `auth: token`:
// it checks Basic credentials (or an OAuth2 refresh token) and issues ES256 JWTs carrying the certificate
// in `x5c`, which the registry verifies against its `rootcertbundle`. Anonymous requests are refused.

/** A running token service. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the certificate the registry must trust (`rootcertbundle`). */
  certFile: string;
  /** Every request received: method, scope, and who asked (`anonymous`, a user, or `refresh:<user>`). */
  requests: Array<{ method: string; scope: string; who: string }>;
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function jwt(key: KeyObject, certDer: Buffer, claims: object): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] }));
  const body = b64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${body}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${body}.${b64url(signature)}`;
}

/** Starts the token service with `users` (name → password) and `refreshTokens` (token → user); keys and certificate made with openssl in `dir`. */
export async function startTokenServer(
  dir: string,
  users: Record<string, string>,
  refreshTokens: Record<string, string> = {},
  expiresIn = 300,
): Promise<TokenServer> {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  await sh(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=attestd-test-token',
      '-days',
      '2',
    ],
    dir,
  );
  const key = createPrivateKey(fs.readFileSync(keyFile));
  const certDer = new X509Certificate(fs.readFileSync(certFile)).raw;
  const service = 'attestd-test-registry';
  const issuer = 'attestd-test-token-issuer';
  const requests: TokenServer['requests'] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const form = new URLSearchParams(req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : '');
      const scope = (req.method === 'POST' ? form.get('scope') : url.searchParams.get('scope')) ?? '';
      let who: string | undefined;
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      if (req.method === 'POST' && form.get('grant_type') === 'refresh_token') {
        const user = refreshTokens[form.get('refresh_token') ?? ''];
        who = user === undefined ? undefined : `refresh:${user}`;
      } else if (basic !== null) {
        const [user, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
        who = users[user!] !== undefined && users[user!] === rest.join(':') ? user : undefined;
      }
      requests.push({ method: req.method ?? '', scope, who: who ?? (basic === null ? 'anonymous' : 'refused') });
      if (who === undefined) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      const [type, name, actions] = scope.split(':');
      const now = Math.floor(Date.now() / 1000);
      const token = jwt(key, certDer, {
        iss: issuer,
        sub: who,
        aud: service,
        exp: now + expiresIn,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access: type === 'repository' ? [{ type, name, actions: (actions ?? '').split(',') }] : [],
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.method === 'POST' ? { access_token: token, expires_in: expiresIn } : { token, expires_in: expiresIn }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The `auth:` section making docker-registry use a token service. */
export function tokenAuthConfig(tokens: TokenServer): string {
  return `auth:
  token:
    realm: ${tokens.realm}
    service: ${tokens.service}
    issuer: ${tokens.issuer}
    rootcertbundle: ${tokens.certFile}
`;
}
