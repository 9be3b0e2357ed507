import type { ScanImportService } from '../grafeas/scan-import-service';
import { str } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Scans over the scan import service. */
export function scanHandlers(scans: ScanImportService): ServiceHandlers {
  return {
    service: 'attestd.v1.Scans',
    methods: {
      ImportScan: async (ctx, r) => ({ ...(await scans.import(ctx, str(r.parent), str(r.image), r.report, str(r.format))) }),
    },
  };
}
