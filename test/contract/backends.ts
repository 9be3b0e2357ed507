import type { Knex } from 'knex';
import type { Committed, UnitOfWork } from '../../src/domain/stores/unit-of-work';
import { migrateLatest, openDatabase } from '../../src/store/database';
import { MemoryDatabase, MemoryUnitOfWork } from '../../src/store/memory/memory-unit-of-work';
import { PageTokens } from '../../src/store/page-token';
import { PostgresUnitOfWork } from '../../src/store/postgres-unit-of-work';
import { SettingsStore } from '../../src/store/settings-store';
import { embeddedPostgres, realPostgres, type TestBackend } from '../support/test-database';

/** The backends a store contract runs against. */
export type BackendName = 'postgres' | 'embedded' | 'memory';

/** A fresh, empty database of one backend. */
export interface ContractDatabase {
  /** A unit of work over the database; `onCommit` as PostgresUnitOfWork's. */
  unitOfWork(onCommit?: (committed: Committed) => void): UnitOfWork;
  /** A unit of work as another replica, or this one after a restart, opens it: its own connections, the shared token key. */
  replica(): Promise<UnitOfWork>;
  close(): Promise<void>;
}

/** Where store contracts run: a name and a way to open an empty database. */
export interface StoreBackend {
  readonly name: BackendName;
  open(): Promise<ContractDatabase>;
}

/**
 * The backends to run store contracts on: STORE_BACKENDS (comma-separated names) when set, e.g. `memory` for
 * the fast unit suite; otherwise the real Postgres of TEST_DATABASE_URL (when set), the embedded one, and memory.
 */
export function storeBackends(): StoreBackend[] {
  const wanted = (process.env.STORE_BACKENDS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (wanted.length === 0) {
    const real = realPostgres();
    return [...(real ? [postgresBackend(real)] : []), postgresBackend(embeddedPostgres()), memoryBackend()];
  }
  return wanted.map((name) => {
    switch (name) {
      case 'postgres': {
        const real = realPostgres();
        if (!real) throw new Error('STORE_BACKENDS names postgres, but TEST_DATABASE_URL is not set');
        return postgresBackend(real);
      }
      case 'embedded':
        return postgresBackend(embeddedPostgres());
      case 'memory':
        return memoryBackend();
      default:
        throw new Error(`STORE_BACKENDS: unknown backend "${name}"; use postgres, embedded or memory`);
    }
  });
}

/** A scratch database on a Postgres server, migrated; every pool opened on it is closed by `close`. */
function postgresBackend(server: TestBackend): StoreBackend {
  return {
    name: server.name,
    async open() {
      const url = await server.createDatabase();
      const pools: Knex[] = [];
      const connect = async (migrate: boolean): Promise<{ knex: Knex; tokens: PageTokens }> => {
        const knex = openDatabase({ url, poolMax: 6 });
        pools.push(knex);
        if (migrate) await migrateLatest(knex);
        return { knex, tokens: new PageTokens(await new SettingsStore(knex).secret('page_token_key')) };
      };
      const main = await connect(true);
      return {
        unitOfWork: (onCommit) => new PostgresUnitOfWork(main.knex, main.tokens, onCommit),
        replica: async () => {
          const other = await connect(false);
          return new PostgresUnitOfWork(other.knex, other.tokens);
        },
        close: async () => {
          for (const knex of pools.splice(0)) await knex.destroy();
        },
      };
    },
  };
}

function memoryBackend(): StoreBackend {
  return {
    name: 'memory',
    open() {
      const database = new MemoryDatabase();
      return Promise.resolve({
        unitOfWork: (onCommit) => new MemoryUnitOfWork(database, onCommit),
        replica: () => Promise.resolve(new MemoryUnitOfWork(database)),
        close: () => Promise.resolve(),
      });
    },
  };
}
