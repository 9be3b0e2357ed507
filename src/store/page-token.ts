import crypto from 'node:crypto';
import { invalidArgument } from '../domain/api-error';

/**
 * Opaque, tamper-evident keyset page tokens. A token names the last key served and is bound to the
 * query it belongs to (its scope: method, parent and filter); an HMAC under a key kept in the database
 * makes it valid on every replica and across restarts.
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  /** Encodes the last key of a page for the given scope. */
  encode(scope: string, lastKey: string): string {
    const body = Buffer.from(JSON.stringify({ s: digest(scope), k: lastKey })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** Decodes a token for this scope; an empty or absent token means the first page (undefined). */
  decode(scope: string, token: string | undefined): string | undefined {
    if (token === undefined || token === '') return undefined;
    const bad = invalidArgument(
      'pageToken is not valid for this request: pass the nextPageToken of the previous page of the same list with the same filter, or omit it for the first page',
    );
    if (token.length > 2048) throw bad;
    const dot = token.indexOf('.');
    if (dot <= 0) throw bad;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(body), 'base64url');
    if (mac.length !== expected.length || !crypto.timingSafeEqual(mac, expected)) throw bad;
    let parsed: { s?: unknown; k?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw bad;
    }
    if (parsed.s !== digest(scope) || typeof parsed.k !== 'string') throw bad;
    return parsed.k;
  }

  private mac(body: string): string {
    return crypto.createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function digest(scope: string): string {
  return crypto.createHash('sha256').update(scope).digest('base64url').slice(0, 22);
}
