import { migrateLatest, openDatabase } from '../../src/store/database';
import { PageTokens } from '../../src/store/page-token';
import { PostgresUnitOfWork } from '../../src/store/postgres-unit-of-work';
import { SettingsStore } from '../../src/store/settings-store';
import { KitMemoryUnitOfWork } from '../support/kit-memory-unit-of-work';
import { testBackends } from '../support/test-database';
import { resourceStoreContract, type ResourceContractBackend } from './resource-store-contract';

// Runs the resource store contract on every backend: the Postgres servers of the test run and memory. Once the
// store contract runner (test/contract/store-contracts.test.ts, with its backends) is in the tree, the contract
// joins its CONTRACTS list instead and this file goes.

const postgres: ResourceContractBackend[] = testBackends().map((server) => ({
  name: server.name,
  async open() {
    const knex = openDatabase({ url: await server.createDatabase(), poolMax: 4 });
    await migrateLatest(knex);
    const tokens = new PageTokens(await new SettingsStore(knex).secret('page_token_key'));
    return { unitOfWork: () => new PostgresUnitOfWork(knex, tokens), close: () => knex.destroy() };
  },
}));

const memory: ResourceContractBackend = {
  name: 'memory',
  open() {
    const uow = new KitMemoryUnitOfWork();
    return Promise.resolve({ unitOfWork: () => uow, close: () => Promise.resolve() });
  },
};

for (const backend of [...postgres, memory]) resourceStoreContract(backend);
