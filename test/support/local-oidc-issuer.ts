import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

/** How the issuer's JWKS endpoint behaves: serving its keys, down (connections cut), answering garbage or 300 KiB. */
export type JwksMode = 'ok' | 'down' | 'garbage' | 'huge';

/** A signing key of the issuer: its kid, its private key and its public JWK. */
interface IssuerKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * An OIDC issuer for tests on 127.0.0.1: ES256 keys generated here, the public ones served as a JWK Set at
 * /jwks (counted), tokens signed with any of its keys (or with a key it does not publish).
 */
export class LocalOidcIssuer {
  mode: JwksMode = 'ok';
  /** JWKS requests answered or cut so far. */
  jwksRequests = 0;
  private published: IssuerKey[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<LocalOidcIssuer> {
    let self: LocalOidcIssuer | undefined;
    const server = http.createServer((req, res) => self!.answer(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new LocalOidcIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await self.rotate('k1');
    return self;
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  /** Publishes a new key (kept with the earlier ones); tokens are then signed with it by default. */
  async rotate(kid: string): Promise<void> {
    this.published.push(await newKey(kid));
  }

  /** The public JWK Set, as an inline `jwks` would hold it. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published.map((k) => k.publicJwk) };
  }

  /** A token signed with the newest published key (or `key`), 10 minutes, with `claims` over the defaults. */
  async sign(claims: JWTPayload, options: { kid?: string; key?: 'unpublished'; header?: Record<string, unknown> } = {}): Promise<string> {
    const key = options.key === 'unpublished' ? await newKey(options.kid ?? 'stranger') : this.key(options.kid);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, aud: 'attestd', iat: now, exp: now + 600, jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? key.kid, ...options.header })
      .sign(key.privateKey);
  }

  /** A token with `alg: none` (no signature). */
  unsigned(claims: JWTPayload): string {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${part({ alg: 'none', kid: this.key().kid })}.${part({ iss: this.issuer, aud: 'attestd', exp: now + 600, ...claims })}.`;
  }

  /** A token "signed" with HS256 using the published public key as the HMAC secret (the classic confusion attack). */
  hmacWithPublicKey(claims: JWTPayload): string {
    const now = Math.floor(Date.now() / 1000);
    const pub = this.key();
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signing = `${part({ alg: 'HS256', kid: pub.kid })}.${part({ iss: this.issuer, aud: 'attestd', exp: now + 600, ...claims })}`;
    const secret = crypto
      .createPublicKey({ key: pub.publicJwk as crypto.JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' });
    return `${signing}.${crypto.createHmac('sha256', secret).update(signing).digest('base64url')}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private key(kid?: string): IssuerKey {
    const k = kid === undefined ? this.published[this.published.length - 1] : this.published.find((p) => p.kid === kid);
    if (!k) throw new Error(`the issuer has no key ${kid}`);
    return k;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url?.split('?')[0] !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    this.jwksRequests++;
    if (this.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const huge = () => JSON.stringify({ keys: this.jwks().keys, padding: 'x'.repeat(300 * 1024) });
    const body = this.mode === 'garbage' ? '{"keys": "these are not keys"' : this.mode === 'huge' ? huge() : JSON.stringify(this.jwks());
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(body);
  }
}

async function newKey(kid: string): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}
