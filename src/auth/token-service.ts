import type { Access } from './access';
import { ApiError, notFound } from '../domain/api-error';
import type { Clock } from '../domain/clock';
import type { RequestContext } from '../domain/request-context';
import type { ChangeRecorder } from '../domain/stores/change-recorder';
import type { TokenRecord } from '../domain/stores/token-store';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { RevocationList } from './revocation-list';

/** A token as the API shows it (never the token itself). */
export interface TokenView {
  readonly name: string;
  readonly jti: string;
  readonly subject: string;
  readonly grants: { project: string; roles: string[] }[];
  readonly issueTime?: string;
  readonly expireTime?: string;
  readonly recordTime: string;
  readonly revokeTime?: string;
  readonly revokedBy?: string;
  readonly state: 'ACTIVE' | 'EXPIRED' | 'REVOKED';
}

const TOKEN_NAME = /^tokens\/([A-Za-z0-9._~-]{1,128})$/;

/** Tokens are global: listing and revoking them takes the admin role on every project (`*`). */
const EVERY_PROJECT = '*';

/** The token lifecycle: the tokens attestd has seen, and revocation (in force on every replica within seconds). */
export class TokenService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly changes: ChangeRecorder,
    private readonly revocations: RevocationList,
  ) {}

  async list(
    ctx: RequestContext,
    pageSize: number,
    pageToken: string | undefined,
  ): Promise<{ tokens: TokenView[]; nextPageToken: string }> {
    this.access.check(ctx, 'tokens.list', EVERY_PROJECT);
    const page = await this.uow.stores.tokens.list(pageSize, pageToken);
    const now = Date.parse(this.clock.now());
    return { tokens: page.items.map((r) => toView(r, now)), nextPageToken: page.nextPageToken };
  }

  async get(ctx: RequestContext, name: string): Promise<TokenView> {
    const jti = parseTokenName(name);
    this.access.check(ctx, 'tokens.get', EVERY_PROJECT);
    const record = await this.uow.stores.tokens.get(jti);
    if (!record) throw notFound(`token ${name} has not been seen by attestd (a token is recorded when first used) and is not revoked`);
    return toView(record, Date.parse(this.clock.now()));
  }

  /** Revokes a token by its jti, seen or not; revoking it again answers the first revocation. */
  async revoke(ctx: RequestContext, name: string): Promise<TokenView> {
    const jti = parseTokenName(name);
    this.access.check(ctx, 'tokens.revoke', EVERY_PROJECT);
    const now = this.clock.now();
    const record = await this.uow.transaction(async (stores) => {
      const r = await stores.tokens.revoke(jti, now, ctx.principal?.subject ?? 'anonymous');
      await this.changes.record(stores, ctx, 'RevokeToken', `tokens/${jti}`);
      return r;
    });
    await this.revocations.add(jti, record.revokeTime ?? now);
    return toView(record, Date.parse(now));
  }
}

/** `tokens/{jti}` → the jti. */
function parseTokenName(name: string): string {
  const m = TOKEN_NAME.exec(name);
  if (!m) {
    throw new ApiError(
      'INVALID_ARGUMENT',
      `token name must look like "tokens/{jti}" (the jti: 1-128 letters, digits, ".", "_", "~" or "-"), got ${JSON.stringify(name.slice(0, 200))}`,
    );
  }
  return m[1]!;
}

function toView(r: TokenRecord, now: number): TokenView {
  const state =
    r.revokeTime !== undefined ? 'REVOKED' : r.expireTime !== undefined && Date.parse(r.expireTime) <= now ? 'EXPIRED' : 'ACTIVE';
  return {
    name: `tokens/${r.jti}`,
    jti: r.jti,
    subject: r.subject,
    grants: Object.entries(r.roles).map(([project, roles]) => ({ project, roles: [...roles] })),
    ...(r.issueTime ? { issueTime: r.issueTime } : {}),
    ...(r.expireTime ? { expireTime: r.expireTime } : {}),
    recordTime: r.recordTime,
    ...(r.revokeTime ? { revokeTime: r.revokeTime, revokedBy: r.revokedBy } : {}),
    state,
  };
}
