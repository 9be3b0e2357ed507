import { maskPaths } from '../domain/list-query';
import type { PolicyService } from '../policies/policy-service';
import { obj, paging, str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Policies over the policy service. */
export function policyHandlers(policies: PolicyService): ServiceHandlers {
  return {
    service: 'attestd.v1.Policies',
    methods: {
      CreatePolicy: (ctx, r) => policies.create(ctx, str(r.parent), str(r.policyId), obj(r.policy)),
      GetPolicy: (ctx, r) => policies.get(ctx, str(r.name)),
      ListPolicies: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        return { ...(await policies.list(ctx, str(r.parent), pageSize, pageToken)) };
      },
      UpdatePolicy: (ctx, r) => policies.update(ctx, str(r.name), obj(r.policy), maskPaths(r.updateMask)),
      DeletePolicy: async (ctx, r) => {
        await policies.delete(ctx, str(r.name));
        return {};
      },
    },
  };
}
