import net from 'node:net';
import type pg from 'pg';
import { currentDeadline, type RequestDeadline } from '../domain/request-deadline';

/**
 * The database did not answer a statement before the request's deadline (or the statement time limit), and the
 * connection was cut. `outcomeUnknown`: the statement was a COMMIT (or a write outside a transaction) that
 * Postgres may have carried out, so the write may or may not be stored and must not be acknowledged.
 */
export class DatabaseDeadlineError extends Error {
  constructor(
    readonly ms: number,
    readonly setting: string,
    readonly outcomeUnknown: boolean,
  ) {
    super(`the database did not answer within ${ms} ms (${setting})${outcomeUnknown ? ' while committing' : ''}`);
    this.name = 'DatabaseDeadlineError';
  }
}

type Callback = (err: Error | null, result?: unknown) => void;

/** The fields of a node-postgres client this module reads: its socket, and its backend's key for a cancel request. */
interface ClientInternals {
  readonly connection?: { readonly stream?: { destroy(): void } };
  readonly processID?: number | null;
  readonly secretKey?: number | null;
  readonly connectionParameters?: { readonly host?: string; readonly port?: number };
}

/**
 * Bounds every statement on `conn` by the deadline of the request that sends it (currentDeadline), and any
 * statement by `ceilingMs`. When the bound passes, the statement fails with DatabaseDeadlineError and the
 * connection is cut (its socket destroyed, so the pool discards it and Postgres rolls back what was not
 * committed), and Postgres is asked to cancel what the backend runs. A cancel request alone would not do:
 * a server that hangs (SIGSTOPped, a frozen VM) answers neither the statement nor the cancel.
 * `onCut` hears of each cut (for the log).
 */
export function enforceDeadlines(conn: pg.Client, ceilingMs: number, onCut: (err: DatabaseDeadlineError) => void): void {
  let inTransaction = false;
  let cut: DatabaseDeadlineError | undefined;
  const query = conn.query.bind(conn) as (...args: unknown[]) => unknown;
  // knex calls query(config, callback) one statement at a time per connection; other shapes pass through.
  (conn as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last !== 'function') return query(...args);
    const callback = last as Callback;
    if (cut !== undefined) {
      // The connection is being torn down: whatever follows (knex's ROLLBACK) fails at once, with the same cause.
      const err = cut;
      process.nextTick(() => callback(err));
      return undefined;
    }
    const text = statementText(args[0]);
    const committing = /^\s*(COMMIT|END)\b/i.test(text);
    const outcomeUnknownIfCut = committing || (!inTransaction && !/^\s*(SELECT|SHOW|BEGIN|START)\b/i.test(text));
    if (/^\s*(BEGIN|START\s+TRANSACTION)\b/i.test(text)) inTransaction = true;
    else if (committing || /^\s*(ROLLBACK|ABORT)\b(?!\s+TO\b)/i.test(text)) inTransaction = false;

    const started = Date.now();
    const deadline = currentDeadline();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish: Callback = (err, result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      callback(err, result);
    };
    const ceiling: RequestDeadline = { at: started + ceilingMs, ms: ceilingMs, setting: 'the statement time limit' };
    const arm = (): void => {
      // A request answered meanwhile no longer bounds work it left behind; the ceiling still does.
      const bound = deadline?.isActive() && deadline.at < ceiling.at ? deadline : ceiling;
      timer = setTimeout(
        () => {
          if (bound !== ceiling && !deadline!.isActive()) return arm();
          cut = new DatabaseDeadlineError(bound.ms, bound.setting, outcomeUnknownIfCut);
          onCut(cut);
          finish(cut);
          cancelBackend(conn);
          (conn as unknown as ClientInternals).connection?.stream?.destroy();
        },
        Math.max(0, bound.at - Date.now()),
      );
    };
    arm();
    return query(...args.slice(0, -1), finish);
  };
}

/** The SQL of a query(config | text, …) call. */
function statementText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  const text = (arg as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : '';
}

/** The CancelRequest code of the PostgreSQL frontend/backend protocol (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks Postgres, on a connection of its own, to cancel what the backend of `conn` is running (best effort, not
 * awaited): a statement that is merely slow stops using the server, and a commit waiting for a synchronous
 * standby that never comes is released.
 */
function cancelBackend(conn: pg.Client): void {
  const c = conn as unknown as ClientInternals;
  const host = c.connectionParameters?.host ?? 'localhost';
  const port = c.connectionParameters?.port ?? 5432;
  if (typeof c.processID !== 'number' || typeof c.secretKey !== 'number') return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(c.processID, 8);
  packet.writeInt32BE(c.secretKey, 12);
  const socket = host.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host);
  socket.setTimeout(5000, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.end(packet));
}
