import { cleanUpTestDatabases } from './test-database';

// `attestd serve` processes the tests start serve as one process unless a test asks for workers (WORKERS=2 in the
// workers test): on a DATABASE_URL the default would be one per core.
process.env.WORKERS ??= '1';

/** Mocha root hooks: drop scratch databases and stop the embedded server after the whole run. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    // Dropping every scratch database of a full run takes longer than one test may.
    this.timeout(600_000);
    await cleanUpTestDatabases();
  },
};
