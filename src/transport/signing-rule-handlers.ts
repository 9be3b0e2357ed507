import { maskPaths } from '../domain/list-query';
import type { SigningRuleService } from '../registry/signing-rule-service';
import { obj, paging, str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.SigningRules over the signing rule service. */
export function signingRuleHandlers(rules: SigningRuleService): ServiceHandlers {
  return {
    service: 'attestd.v1.SigningRules',
    methods: {
      CreateSigningRule: (ctx, r) => rules.create(ctx, str(r.parent), str(r.ruleId), obj(r.signingRule)),
      GetSigningRule: (ctx, r) => rules.get(ctx, str(r.name)),
      ListSigningRules: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        return { ...(await rules.list(ctx, str(r.parent), pageSize, pageToken)) };
      },
      UpdateSigningRule: (ctx, r) => rules.update(ctx, str(r.name), obj(r.signingRule), maskPaths(r.updateMask)),
      DeleteSigningRule: async (ctx, r) => {
        await rules.delete(ctx, str(r.name));
        return {};
      },
    },
  };
}
