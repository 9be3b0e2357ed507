import type { TokenService } from '../auth/token-service';
import { paging, str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Tokens over the token service. */
export function tokenHandlers(tokens: TokenService): ServiceHandlers {
  return {
    service: 'attestd.v1.Tokens',
    methods: {
      ListTokens: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        const page = await tokens.list(ctx, pageSize, pageToken);
        return { tokens: page.tokens.map((t) => ({ ...t })), nextPageToken: page.nextPageToken };
      },
      GetToken: async (ctx, r) => ({ ...(await tokens.get(ctx, str(r.name))) }),
      RevokeToken: async (ctx, r) => ({ ...(await tokens.revoke(ctx, str(r.name))) }),
    },
  };
}
