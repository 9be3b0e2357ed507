import { listQuery } from '../domain/list-query';
import type { HookSource } from '../registry/hook-payloads';
import type { HookService } from '../registry/hook-service';
import { obj, str } from './request-fields';
import type { RpcHandler, ServiceHandlers } from './rpc-handler';

/** attestd.v1.Hooks over the hook service. */
export function hookHandlers(hooks: HookService): ServiceHandlers {
  const hook =
    (source: HookSource): RpcHandler =>
    async (ctx, r) => ({ ...(await hooks.receive(ctx, source, str(r.parent), obj(r.payload), str(r.registry))) });
  return {
    service: 'attestd.v1.Hooks',
    methods: {
      DistributionHook: hook('distribution'),
      HarborHook: hook('harbor'),
      AcrHook: hook('acr'),
      GenericHook: hook('generic'),
      ListHookEvents: async (ctx, r) => {
        const page = await hooks.list(ctx, str(r.parent), listQuery(r));
        return { hookEvents: page.items, nextPageToken: page.nextPageToken };
      },
      RetryHookEvent: async (ctx, r) => hooks.retry(ctx, str(r.name)),
    },
  };
}
