import { cleanUpTestDatabases } from './test-database';

// `attestd serve` processes the tests start serve as one process unless a test asks for workers (WORKERS=2 in the
// workers test): on a DATABASE_URL the default would be one per core.
process.env.WORKERS ??= '1';

/** Mocha root hooks: drop scratch databases and stop the embedded server after the whole run. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await cleanUpTestDatabases();
  },
};
