import type { Revocation, TokenRecord, TokenStore } from '../../domain/stores/token-store';
import type { PageTokens } from '../page-token';
import { memoryPage } from './memory-page';
import { TOKENS } from './memory-schema';
import { rowKey, type Tables } from './memory-tables';
import { checkText, jsonb, thaw, timestamp } from './stored-values';

/** Seen tokens and revocations in memory. */
export class MemoryTokenStore implements TokenStore {
  constructor(
    private readonly tables: Tables,
    private readonly tokens: PageTokens,
  ) {}

  async recordSeen(records: readonly TokenRecord[]): Promise<void> {
    const table = this.tables.table(TOKENS);
    for (const r of records) {
      if (table.get(rowKey(r.jti))) continue;
      checkText(r);
      table.put(
        Object.freeze({
          jti: r.jti,
          subject: r.subject,
          roles: jsonb(r.roles),
          issueTime: r.issueTime === undefined ? undefined : timestamp(r.issueTime),
          expireTime: r.expireTime === undefined ? undefined : timestamp(r.expireTime),
          recordTime: timestamp(r.recordTime),
          revokeTime: undefined,
          revokedBy: '',
        }),
      );
    }
  }

  async get(jti: string): Promise<TokenRecord | undefined> {
    const row = this.tables.table(TOKENS).get(rowKey(jti));
    return row ? thaw(row) : undefined;
  }

  async list(pageSize: number, pageToken: string | undefined): Promise<{ items: TokenRecord[]; nextPageToken: string }> {
    const req = { key: (r: TokenRecord) => r.jti, scope: 'tokens', pageSize, pageToken };
    return memoryPage(this.tokens, this.tables.table(TOKENS).rows(), req, thaw);
  }

  async revoke(jti: string, time: string, revokedBy: string): Promise<TokenRecord> {
    const table = this.tables.table(TOKENS);
    checkText({ jti, revokedBy });
    const seen = table.get(rowKey(jti));
    const base: TokenRecord = seen ?? {
      jti,
      subject: '',
      roles: {},
      issueTime: undefined,
      expireTime: undefined,
      recordTime: timestamp(time),
      revokeTime: undefined,
      revokedBy: '',
    };
    const row: TokenRecord =
      base.revokeTime !== undefined ? base : Object.freeze({ ...base, revokeTime: timestamp(time), revokedBy: revokedBy });
    table.put(row);
    return thaw(row);
  }

  async revocations(now: string): Promise<Revocation[]> {
    const t = new Date(now).getTime();
    return this.tables
      .table(TOKENS)
      .rows()
      .filter((r) => r.revokeTime !== undefined && (r.expireTime === undefined || new Date(r.expireTime).getTime() > t))
      .map((r) => ({ jti: r.jti, revokeTime: r.revokeTime!, ...(r.expireTime ? { expireTime: r.expireTime } : {}) }));
  }
}
