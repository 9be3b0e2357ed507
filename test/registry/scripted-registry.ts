import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a scripted registry received. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
}

/** Answers one request; `res` is Node's response, so a script may stall, stream or break the connection. */
export type Script = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A local HTTP server playing a registry (or a storage or token service) as each test scripts it. */
export interface ScriptedRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  baseUrl: string;
  requests: SeenRequest[];
  /** Responses whose connection closed, and how many body bytes the script had written by then. */
  closed: Array<{ url: string; written: number }>;
  script: Script;
  stop(): Promise<void>;
}

/** Starts a scripted registry on 127.0.0.1 (port 0); by default it answers 404. */
export async function startScriptedRegistry(): Promise<ScriptedRegistry> {
  const state: ScriptedRegistry = {
    host: '',
    baseUrl: '',
    requests: [],
    closed: [],
    script: (_req, res) => {
      res.writeHead(404);
      res.end();
    },
    stop: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '' };
    if (req.headers.authorization !== undefined) seen.authorization = req.headers.authorization;
    state.requests.push(seen);
    let written = 0;
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Buffer).length;
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.on('close', () => state.closed.push({ url: seen.url, written }));
    state.script(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.host = `127.0.0.1:${port}`;
  state.baseUrl = `http://127.0.0.1:${port}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Answers with a status, headers and a body. */
export function answer(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: Buffer | string = '',
): void {
  res.writeHead(status, headers);
  res.end(body);
}

/** Writes `chunk` again and again until the client goes away (an endless body). */
export function endless(res: http.ServerResponse, headers: Record<string, string | number>, chunk = Buffer.alloc(64 * 1024, 0x61)): void {
  res.writeHead(200, headers);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk)) {
      /* keep writing while the socket takes it */
    }
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}
