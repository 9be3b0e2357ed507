import { maskPaths } from '../domain/list-query';
import type { AttestService } from '../witnesses/attest-service';
import type { WitnessService } from '../witnesses/witness-service';
import { obj, paging, str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Witnesses over the witness and attest services. */
export function witnessHandlers(witnesses: WitnessService, attest: AttestService): ServiceHandlers {
  return {
    service: 'attestd.v1.Witnesses',
    methods: {
      CreateWitness: async (ctx, r) => ({ ...(await witnesses.create(ctx, str(r.parent), str(r.witnessId), obj(r.witness))) }),
      GetWitness: async (ctx, r) => ({ ...(await witnesses.get(ctx, str(r.name))) }),
      ListWitnesses: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        return { ...(await witnesses.list(ctx, str(r.parent), pageSize, pageToken)) };
      },
      UpdateWitness: async (ctx, r) => ({ ...(await witnesses.update(ctx, str(r.name), obj(r.witness), maskPaths(r.updateMask))) }),
      DeleteWitness: async (ctx, r) => {
        await witnesses.delete(ctx, str(r.name), r.force === true);
        return {};
      },
      Attest: (ctx, r) => attest.attest(ctx, str(r.name), str(r.image)),
    },
  };
}
