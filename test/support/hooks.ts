import { cleanUpTestDatabases } from './test-database';

/** Mocha root hooks: drop scratch databases and stop the embedded server after the whole run. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await cleanUpTestDatabases();
  },
};
