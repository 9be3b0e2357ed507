/** A table: its name and its primary key's columns (as a function of the row). */
export interface TableName<T> {
  readonly name: string;
  primaryKey(row: T): readonly (string | number)[];
}

/** Names a table holding rows of type T with the given primary key. */
export function tableName<T>(name: string, primaryKey: (row: T) => readonly (string | number)[]): TableName<T> {
  return { name, primaryKey };
}

/** One table's rows by primary key (rowKey), as one reader or transaction sees them. Rows are frozen: replace, never mutate. */
export interface Table<T> {
  get(key: string): T | undefined;
  /** Inserts or replaces the row under its primary key. */
  put(row: T): void;
  delete(key: string): boolean;
  /** Every row, in no particular order. */
  rows(): T[];
  /** The row's primary key. */
  keyOf(row: T): string;
}

/** Tables as one reader or transaction sees them. */
export interface Tables {
  table<T>(name: TableName<T>): Table<T>;
}

/** A composite primary key as one string. */
export function rowKey(...parts: readonly (string | number)[]): string {
  return JSON.stringify(parts);
}

type Rows = Map<string, unknown>;

/** The committed contents of a memory database; writes through it commit at once (autocommit). */
export class CommittedTables implements Tables {
  private readonly maps = new Map<string, Rows>();

  table<T>(name: TableName<T>): Table<T> {
    return mapTable(name, this.rows(name.name));
  }

  /** The committed rows of a table (created empty on first use). */
  rows(name: string): Rows {
    let rows = this.maps.get(name);
    if (!rows) {
      rows = new Map();
      this.maps.set(name, rows);
    }
    return rows;
  }

  /** A read-only, consistent copy of every table as of now, unaffected by later commits. */
  snapshot(): Tables {
    const copy = new Map([...this.maps].map(([name, rows]) => [name, new Map(rows)]));
    const refuse = (): never => {
      throw new Error('a snapshot is read-only');
    };
    return {
      table: <T>(name: TableName<T>): Table<T> => ({ ...mapTable(name, copy.get(name.name) ?? new Map()), put: refuse, delete: refuse }),
    };
  }
}

const GONE: unique symbol = Symbol('deleted');

/**
 * A transaction's view: its own writes over the committed rows, which it reads as they are now (READ
 * COMMITTED, as Postgres' default). Nothing reaches the committed tables until `commit`; `discard` forgets it all.
 */
export class TransactionTables implements Tables {
  private readonly writes = new Map<string, Map<string, unknown>>();

  constructor(private readonly committed: CommittedTables) {}

  table<T>(name: TableName<T>): Table<T> {
    const base = this.committed.rows(name.name);
    let own = this.writes.get(name.name);
    const writes = (): Map<string, unknown> => {
      if (!own) {
        own = new Map();
        this.writes.set(name.name, own);
      }
      return own;
    };
    const keyOf = (row: T): string => rowKey(...name.primaryKey(row));
    return {
      keyOf,
      get: (key) => {
        const mine = own?.get(key);
        if (mine === GONE) return undefined;
        return (mine ?? base.get(key)) as T | undefined;
      },
      put: (row) => void writes().set(keyOf(row), row),
      delete: (key) => {
        const mine = own?.get(key);
        const existed = mine === undefined ? base.has(key) : mine !== GONE;
        if (existed) writes().set(key, GONE);
        return existed;
      },
      rows: () => {
        if (!own || own.size === 0) return [...base.values()] as T[];
        const out: T[] = [];
        for (const [key, row] of base) if (!own.has(key)) out.push(row as T);
        for (const row of own.values()) if (row !== GONE) out.push(row as T);
        return out;
      },
    };
  }

  /** Applies every write to the committed tables, at once. */
  commit(): void {
    for (const [name, rows] of this.writes) {
      const target = this.committed.rows(name);
      for (const [key, row] of rows) {
        if (row === GONE) target.delete(key);
        else target.set(key, row);
      }
    }
    this.writes.clear();
  }

  discard(): void {
    this.writes.clear();
  }
}

function mapTable<T>(name: TableName<T>, rows: Rows): Table<T> {
  const keyOf = (row: T): string => rowKey(...name.primaryKey(row));
  return {
    keyOf,
    get: (key) => rows.get(key) as T | undefined,
    put: (row) => void rows.set(keyOf(row), row),
    delete: (key) => rows.delete(key),
    rows: () => [...rows.values()] as T[],
  };
}
