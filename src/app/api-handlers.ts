import { auditHandlers } from '../transport/audit-handlers';
import { clusterHandlers } from '../transport/cluster-handlers';
import { grafeasHandlers } from '../transport/grafeas-handlers';
import { hookHandlers } from '../transport/hook-handlers';
import { importRuleHandlers } from '../transport/import-rule-handlers';
import { keyHandlers } from '../transport/key-handlers';
import { projectHandlers } from '../transport/project-handlers';
import type { ServiceHandlers } from '../transport/rpc-handler';
import { resourceHandlers } from '../transport/resource-handlers';
import { scanHandlers } from '../transport/scan-handlers';
import { vexHandlers } from '../transport/vex-handlers';
import { verificationHandlers } from '../transport/verification-handlers';
import { tokenHandlers } from '../transport/token-handlers';
import { witnessHandlers } from '../transport/witness-handlers';
import type { AppServices } from './create-services';

/** Every proto service attestd serves and its transport-free handlers: REST routes and gRPC methods follow from it. */
export function apiHandlers(services: AppServices): ServiceHandlers[] {
  return [
    grafeasHandlers(services.notes, services.occurrences),
    projectHandlers(services.projects),
    keyHandlers(services.keys),
    witnessHandlers(services.witnesses, services.attest),
    resourceHandlers(services.policies),
    clusterHandlers(services.clusters, services.clusterReports),
    resourceHandlers(services.signingRules),
    importRuleHandlers(services.importRules, services.imageImports),
    hookHandlers(services.hooks),
    scanHandlers(services.scans),
    vexHandlers(services.vex),
    verificationHandlers(services.verification, services.decisions),
    auditHandlers(services.audit),
    tokenHandlers(services.tokens),
    resourceHandlers(services.identityProviders),
  ];
}
