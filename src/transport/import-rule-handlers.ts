import type { ImportRuleSpec } from '../domain/resources/import-rule-spec';
import type { ImageImportService } from '../registry/image-import-service';
import type { ResourceService } from '../resources/resource-service';
import { str } from './request-fields';
import { resourceHandlers } from './resource-handlers';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.ImportRules: the resource kit's methods over import rules, and ImportImage. */
export function importRuleHandlers(rules: ResourceService<ImportRuleSpec>, imports: ImageImportService): ServiceHandlers {
  return resourceHandlers(rules, { ImportImage: (ctx, r) => imports.importImage(ctx, str(r.parent), str(r.image)) });
}
