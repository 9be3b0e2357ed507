import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/free-port';
import { poll } from './registry-support';

const run = promisify(execFile);

/** The tools the real-registry tests use (Debian packages docker-registry, skopeo, umoci). */
export const REGISTRY_TOOLS = { registry: '/usr/bin/docker-registry', skopeo: 'skopeo', umoci: 'umoci' };

function which(tool: string): boolean {
  if (path.isAbsolute(tool)) return fs.existsSync(tool);
  return (process.env.PATH ?? '').split(':').some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

/** Fails under CI=true, or skips loudly elsewhere, when a tool is missing. */
export function requireTools(context: Mocha.Context, tools: string[], what: string): void {
  const missing = tools.filter((t) => !which(t));
  if (missing.length === 0) return;
  const message = `${what} needs ${missing.join(', ')} (.ci/run installs them)`;
  if (process.env.CI === 'true') throw new Error(`${message} — missing under CI=true`);
  console.warn(`\n  !!! SKIPPING ${what}: ${message}\n`);
  context.skip();
}

/** Runs a command, failing with its output. */
export async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** A docker-registry process on 127.0.0.1. */
export interface DockerRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  baseUrl: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's docker-registry (CNCF Distribution 2.8) in `dir`; `extraConfig` adds top-level sections
 * (YAML such as `auth:` or `notifications:`).
 */
export async function startDockerRegistry(dir: string, extraConfig = ''): Promise<DockerRegistry> {
  const port = await freePort();
  const config = `version: 0.1
log:
  level: warn
  formatter: text
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${extraConfig}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn(REGISTRY_TOOLS.registry, ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  await poll('docker-registry to listen', 30_000, async () => {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}:\n${log}`);
    const r = await fetch(`${baseUrl}/v2/`).catch(() => undefined);
    await r?.body?.cancel();
    return r === undefined ? undefined : true;
  });
  return {
    host: `127.0.0.1:${port}`,
    baseUrl,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Builds a small OCI image with umoci in `dir` (layout `oci`, tag `img`); no Docker daemon. */
export async function buildOciImage(dir: string): Promise<void> {
  await sh(REGISTRY_TOOLS.umoci, ['init', '--layout', 'oci'], dir);
  await sh(REGISTRY_TOOLS.umoci, ['new', '--image', 'oci:img'], dir);
  await sh(REGISTRY_TOOLS.umoci, ['unpack', '--rootless', '--image', 'oci:img', 'bundle'], dir);
  fs.writeFileSync(path.join(dir, 'bundle', 'rootfs', 'hello.txt'), `hi ${Date.now()} ${Math.random()}\n`);
  await sh(REGISTRY_TOOLS.umoci, ['repack', '--image', 'oci:img', 'bundle'], dir);
  await sh(
    REGISTRY_TOOLS.umoci,
    ['config', '--image', 'oci:img', '--config.cmd', '/bin/sh', '--architecture', 'amd64', '--os', 'linux'],
    dir,
  );
}

/** Pushes the image built by buildOciImage with skopeo to `host/repository:tag` over plain HTTP; returns the manifest digest. */
export async function skopeoPush(dir: string, dest: string, creds?: string): Promise<string> {
  const digestFile = path.join(dir, `push-${Date.now()}-${Math.random()}.digest`);
  const auth = creds === undefined ? [] : ['--dest-creds', creds];
  await sh(
    REGISTRY_TOOLS.skopeo,
    ['copy', '--dest-tls-verify=false', ...auth, '--digestfile', digestFile, 'oci:oci:img', `docker://${dest}`],
    dir,
  );
  return fs.readFileSync(digestFile, 'utf8').trim();
}
