import type { VexImportService } from '../grafeas/vex-import-service';
import { str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Vex over the VEX import service. */
export function vexHandlers(vex: VexImportService): ServiceHandlers {
  return {
    service: 'attestd.v1.Vex',
    methods: {
      ImportVex: async (ctx, r) => ({ ...(await vex.import(ctx, str(r.parent), r.document)) }),
    },
  };
}
