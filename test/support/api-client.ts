import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ErrorCode } from '../../src/domain/api-error';
import { ERROR_CODES } from '../../src/domain/error-codes';
import { grpcClient, type ClientMethod } from './grpc-clients';
import type { LooseJson } from './loose-json';

// A small client for the integration tests of keys, witnesses, policies and verification: one call shape for
// REST and gRPC (bytes are base64 strings on both), every response body kept for leak scans.

/** What either transport answered. */
export interface Reply {
  readonly code: ErrorCode | 'OK';
  /** HTTP status (REST) or the HTTP status of the gRPC code, for "400 FAILED_PRECONDITION" style checks. */
  readonly http: number;
  readonly message: string;
  readonly body: LooseJson;
}

export type Transport = 'rest' | 'grpc';
export const TRANSPORTS: readonly Transport[] = ['rest', 'grpc'];

/** One RPC spelled for both transports; `{p}` is filled with the project id by the caller. */
export interface Rpc {
  readonly rest: readonly [verb: string, path: string, body?: unknown];
  readonly grpc: readonly [service: string, method: string, request: Record<string, unknown>];
}

export const KMS = 'attestd.v1.KeyManagement';
export const WITNESSES = 'attestd.v1.Witnesses';
export const POLICIES = 'attestd.v1.Policies';
export const SIGNING_RULES = 'attestd.v1.SigningRules';
export const IMPORT_RULES = 'attestd.v1.ImportRules';
export const VERIFICATION = 'attestd.v1.Verification';
export const GRAFEAS = 'grafeas.v1.Grafeas';

/** REST + gRPC client recording every response body it sees. */
export class ApiClient {
  /** Every response body and error message, as text. */
  readonly transcript: string[] = [];
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly baseUrl: string,
    grpcAddress: string,
    private readonly token: string,
  ) {
    for (const name of [GRAFEAS, KMS, WITNESSES, POLICIES, SIGNING_RULES, IMPORT_RULES, VERIFICATION])
      this.clients.set(name, grpcClient(grpcAddress, name));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }

  /** Calls a REST path (default: the client's token). */
  async rest(verb: string, urlPath: string, body?: unknown, token = this.token): Promise<Reply> {
    const res = await fetch(`${this.baseUrl}${urlPath}`, {
      method: verb,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    this.transcript.push(text);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status === 200) return { code: 'OK', http: 200, message: '', body: json };
    const error = (json as { error?: { status?: string; message?: string } } | undefined)?.error;
    const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((k) => k === error?.status && ERROR_CODES[k].http === res.status);
    if (!code) throw new Error(`unexpected REST answer ${res.status}: ${text.slice(0, 300)}`);
    return { code, http: res.status, message: String(error?.message ?? ''), body: json };
  }

  /** Calls a gRPC method (default: the client's token). */
  grpc(service: string, method: string, request: Record<string, unknown>, token = this.token): Promise<Reply> {
    const client = this.clients.get(service) as unknown as Record<string, ClientMethod> | undefined;
    if (!client) throw new Error(`no gRPC client for ${service}`);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      client[method]!.call(
        client,
        request,
        metadata,
        { deadline: Date.now() + 30000 },
        (err: grpc.ServiceError | null, response: unknown) => {
          if (!err) {
            this.transcript.push(JSON.stringify(response));
            return resolve({ code: 'OK', http: 200, message: '', body: response });
          }
          this.transcript.push(err.details);
          const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((k) => ERROR_CODES[k].grpc === Number(err.code));
          if (!code) return reject(new Error(`unexpected gRPC status ${err.code}: ${err.details}`));
          resolve({ code, http: ERROR_CODES[code].http, message: err.details, body: undefined });
        },
      );
    });
  }

  /** Calls an RPC through one transport, with `{p}` replaced by `project`. */
  call(transport: Transport, rpc: Rpc, project: string, token?: string): Promise<Reply> {
    const f = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v).replace(/\{p\}/g, project)) as T));
    return transport === 'rest'
      ? this.rest(rpc.rest[0], f(rpc.rest[1]), f(rpc.rest[2]), token)
      : this.grpc(rpc.grpc[0], rpc.grpc[1], f(rpc.grpc[2]), token);
  }

  /** A REST call that must succeed; returns the body. */
  async must(verb: string, urlPath: string, body?: unknown): Promise<LooseJson> {
    const r = await this.rest(verb, urlPath, body);
    if (r.code !== 'OK') throw new Error(`${verb} ${urlPath}: ${r.code} ${r.message}`);
    return r.body;
  }
}

/** Builds an Rpc. */
export const rpc = (rest: Rpc['rest'], grpcCall: Rpc['grpc']): Rpc => ({ rest, grpc: grpcCall });

/** A digest made from a number, for test images. */
export const digest = (n: number | string): string => `sha256:${crypto.createHash('sha256').update(String(n)).digest('hex')}`;

/** A fresh temp directory, removed by the caller. */
export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Whether the openssl CLI is there. Under CI=true its absence is a failure, elsewhere a loud skip. */
export function opensslAvailable(ctx: Mocha.Context): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('openssl is required under CI=true for the interop tests');
    console.warn('\n  !!! openssl not found: SKIPPING the openssl interop checks !!!\n');
    ctx.skip();
    return false;
  }
}

/** Runs openssl with `args` in `dir`; returns { ok, output } instead of throwing on a non-zero exit. */
export function openssl(dir: string, args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString() };
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}` };
  }
}

/** Verifies `signature` over `data` with openssl dgst using a PEM public key; `pss` adds PSS options with salt 32. */
export function opensslVerify(
  dir: string,
  pem: string,
  data: Buffer,
  signature: Buffer,
  hash: 'sha256' | 'sha384' | 'sha512',
  pss: boolean,
): { ok: boolean; output: string } {
  const tag = crypto.randomBytes(4).toString('hex');
  fs.writeFileSync(path.join(dir, `pub-${tag}.pem`), pem);
  fs.writeFileSync(path.join(dir, `data-${tag}`), data);
  fs.writeFileSync(path.join(dir, `sig-${tag}`), signature);
  const pssArgs = pss ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] : [];
  return openssl(dir, ['dgst', `-${hash}`, '-verify', `pub-${tag}.pem`, '-signature', `sig-${tag}`, ...pssArgs, `data-${tag}`]);
}
