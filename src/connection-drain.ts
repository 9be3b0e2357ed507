import type http from 'node:http';
import net, { type Socket } from 'node:net';

/** How often a draining server looks for connections that have gone idle. */
const IDLE_SWEEP_MS = 250;
/**
 * How long a connection must have been without a request before a draining server closes it. A client that
 * sends its next request at the moment the server closes the connection sees a reset; waiting this long lets
 * a busy client's next request arrive and be answered with `Connection: close` instead.
 */
const IDLE_BEFORE_CLOSE_MS = 1000;

/**
 * Drains an HTTP/1.1 server the way load balancers expect: once `drain` is called the server accepts no new
 * connections, every response (in flight or arriving later on an open keep-alive connection) carries
 * `Connection: close`, each connection is closed as soon as it is idle, and only what is still unfinished at
 * the deadline is reset.
 */
export class ConnectionDrain {
  private draining = false;
  /** Responses not yet finished, per connection. */
  private readonly busy = new Map<Socket, Set<http.ServerResponse>>();
  /** Open connections and when each last finished a response (or was opened). */
  private readonly open = new Map<Socket, number>();

  /** Call before the server listens. Works for node:http and node:https servers. */
  constructor(private readonly server: http.Server) {
    // The socket a request arrives on: the TCP socket for http, the TLS socket for https.
    const event = 'setSecureContext' in server ? 'secureConnection' : 'connection';
    server.on(event, (socket: Socket) => {
      this.open.set(socket, Date.now());
      socket.once('close', () => this.open.delete(socket));
    });
    // Runs before the application's handler, so that the header is set before anything is written.
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      const pending = this.busy.get(socket) ?? new Set<http.ServerResponse>();
      pending.add(res);
      this.busy.set(socket, pending);
      res.once('close', () => {
        pending.delete(res);
        if (pending.size === 0) this.busy.delete(socket);
        if (this.open.has(socket)) this.open.set(socket, Date.now());
      });
      if (this.draining) res.setHeader('connection', 'close');
    });
  }

  /** Stops accepting, closes idle connections as they become idle, and resets the rest after `graceMs`. */
  drain(graceMs: number): Promise<void> {
    this.draining = true;
    for (const pending of this.busy.values()) {
      for (const res of pending) if (!res.headersSent) res.setHeader('connection', 'close');
    }
    return new Promise<void>((resolve) => {
      const sweep = setInterval(() => this.closeIdle(), IDLE_SWEEP_MS);
      const deadline = setTimeout(() => {
        this.server.closeAllConnections();
        for (const socket of this.open.keys()) socket.destroy();
      }, graceMs);
      // net.Server's close, not http.Server's: the latter also closes idle keep-alive connections at once,
      // racing the next request a client is sending on them.
      net.Server.prototype.close.call(this.server, () => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      this.closeIdle();
    });
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [socket, since] of this.open) {
      if (!this.busy.has(socket) && now - since >= IDLE_BEFORE_CLOSE_MS) socket.destroySoon();
    }
  }
}
