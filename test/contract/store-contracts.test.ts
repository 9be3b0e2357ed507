import { resourceStoreContract } from './resource-store-contract';
import { storeBackends, type StoreBackend } from './backends';
import { auditStoreContract } from './audit-store-contract';
import { decisionStoreContract } from './decision-store-contract';
import { grafeasStoreContract } from './grafeas-store-contract';
import { hookStoreContract } from './hook-store-contract';
import { keyStoreContract } from './key-store-contract';
import { projectStoreContract } from './project-store-contract';
import { tokenStoreContract } from './token-store-contract';
import { unitOfWorkContract } from './unit-of-work-contract';

/** Every store contract; a new store adds its suite here. */
const CONTRACTS: readonly ((backend: StoreBackend) => void)[] = [
  unitOfWorkContract,
  projectStoreContract,
  grafeasStoreContract,
  keyStoreContract,
  auditStoreContract,
  decisionStoreContract,
  hookStoreContract,
  resourceStoreContract,
  tokenStoreContract,
];

// Each contract against each backend (STORE_BACKENDS narrows them: the unit suite runs memory only).
for (const backend of storeBackends()) for (const contract of CONTRACTS) contract(backend);
