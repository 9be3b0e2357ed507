import { maskPaths } from '../domain/list-query';
import type { ResourceService } from '../resources/resource-service';
import { obj, optStr, paging, str } from './request-fields';
import type { RpcHandler, ServiceHandlers } from './rpc-handler';

/**
 * A kind's proto service over its resource service: Create (`parent`, the id parameter, the resource field),
 * Get, List (`{"<plural>": [...], "nextPageToken"}`), Update (resource field, `updateMask`, its etag) and Delete
 * (`etag`, `force`), plus the kind's custom methods (`extra`, e.g. the witnesses' Attest).
 */
export function resourceHandlers<Spec>(service: ResourceService<Spec>, extra: Readonly<Record<string, RpcHandler>> = {}): ServiceHandlers {
  const { kind } = service;
  return {
    service: kind.service,
    methods: {
      [kind.methods.create]: (ctx, r) => service.create(ctx, str(r.parent), str(r[kind.idParam]), obj(r[kind.field])),
      [kind.methods.get]: (ctx, r) => service.get(ctx, str(r.name)),
      [kind.methods.list]: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        const page = await service.list(ctx, str(r.parent), pageSize, pageToken);
        return { [kind.plural]: page.items, nextPageToken: page.nextPageToken };
      },
      [kind.methods.update]: (ctx, r) => service.update(ctx, str(r.name), obj(r[kind.field]), maskPaths(r.updateMask)),
      [kind.methods.delete]: async (ctx, r) => {
        await service.delete(ctx, str(r.name), { etag: optStr(r.etag), force: r.force === true });
        return {};
      },
      ...extra,
    },
  };
}
