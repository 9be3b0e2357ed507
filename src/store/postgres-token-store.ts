import type { Knex } from 'knex';
import type { Revocation, TokenRecord, TokenStore } from '../domain/stores/token-store';
import { keysetPage, plainPage } from './keyset-page';
import type { PageTokens } from './page-token';

type TokenRow = {
  jti: string;
  subject: string;
  roles: Record<string, string[]>;
  issue_time: Date | null;
  expire_time: Date | null;
  record_time: Date;
  revoke_time: Date | null;
  revoked_by: string;
};

const COLUMNS = ['jti', 'subject', 'roles', 'issue_time', 'expire_time', 'record_time', 'revoke_time', 'revoked_by'];

/** Seen tokens and revocations in Postgres (table tokens). */
export class PostgresTokenStore implements TokenStore {
  constructor(
    private readonly db: Knex,
    private readonly tokens: PageTokens,
  ) {}

  async recordSeen(records: readonly TokenRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db('tokens')
      .insert(
        records.map((r) => ({
          jti: r.jti,
          subject: r.subject,
          roles: JSON.stringify(r.roles),
          issue_time: r.issueTime ?? null,
          expire_time: r.expireTime ?? null,
          record_time: r.recordTime,
          revoke_time: null,
          revoked_by: '',
        })),
      )
      .onConflict('jti')
      .ignore();
  }

  async get(jti: string): Promise<TokenRecord | undefined> {
    const row = await this.db('tokens').where({ jti }).first<TokenRow | undefined>(COLUMNS);
    return row ? toRecord(row) : undefined;
  }

  async list(pageSize: number, pageToken: string | undefined): Promise<{ items: TokenRecord[]; nextPageToken: string }> {
    return keysetPage<TokenRow & Record<string, unknown>, TokenRecord>(
      this.tokens,
      this.db('tokens').select(COLUMNS),
      plainPage('jti', 'tokens', pageSize, pageToken),
      toRecord,
    );
  }

  async revoke(jti: string, time: string, revokedBy: string): Promise<TokenRecord> {
    // One statement: a concurrent revoke (or first sighting) of the same jti cannot make it fail or lose the first revocation.
    const { rows } = await this.db.raw<{ rows: TokenRow[] }>(
      `INSERT INTO tokens (jti, record_time, revoke_time, revoked_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (jti) DO UPDATE SET revoke_time = COALESCE(tokens.revoke_time, EXCLUDED.revoke_time),
                                       revoked_by = CASE WHEN tokens.revoke_time IS NULL THEN EXCLUDED.revoked_by ELSE tokens.revoked_by END
       RETURNING ${COLUMNS.join(', ')}`,
      [jti, time, time, revokedBy],
    );
    return toRecord(rows[0]!);
  }

  async revocations(now: string): Promise<Revocation[]> {
    const rows: Pick<TokenRow, 'jti' | 'revoke_time' | 'expire_time'>[] = await this.db('tokens')
      .whereNotNull('revoke_time')
      .andWhereRaw('(expire_time IS NULL OR expire_time > ?)', [now])
      .select('jti', 'revoke_time', 'expire_time');
    return rows.map((r) => ({
      jti: r.jti,
      revokeTime: new Date(r.revoke_time!).toISOString(),
      ...(r.expire_time ? { expireTime: new Date(r.expire_time).toISOString() } : {}),
    }));
  }
}

function toRecord(row: TokenRow): TokenRecord {
  const iso = (d: Date | null): string | undefined => (d ? new Date(d).toISOString() : undefined);
  return {
    jti: row.jti,
    subject: row.subject,
    roles: row.roles,
    issueTime: iso(row.issue_time),
    expireTime: iso(row.expire_time),
    recordTime: new Date(row.record_time).toISOString(),
    revokeTime: iso(row.revoke_time),
    revokedBy: row.revoked_by,
  };
}
