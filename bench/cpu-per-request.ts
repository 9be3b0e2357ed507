import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchPool, ensureBenchDatabase } from './lib/bench-db';
import { startBenchServer } from './lib/bench-server';
import {
  BENCH_JWT_SECRET,
  benchToken,
  ensureProjectAndNote,
  imageUri,
  NOTES,
  occurrenceRequest,
  scaleProject,
  WRITE_NOTE,
  WRITE_PROJECT,
} from './lib/fixtures';
import { cpuSplit } from './lib/generator';
import { grpcFrame, grpcHeaders } from './lib/grpc-body';
import { h2load } from './lib/h2load';
import { LUA_IMAGE, luaString } from './lib/lua';
import type { GeneratedLoad } from './lib/wrk';
import { wrkLoad } from './lib/wrk';
import { ensureScaleData } from './seed';

// node dist/bench/cpu-per-request.js list|write|grpc [rate] [seconds] [--cpu-prof]
// The attestd child's CPU time (user + system, /proc/<pid>/stat) per request over one load phase after a
// warm-up: list (filtered ListOccurrences over 100k stored, wrk paced at `rate`), write (CreateOccurrence over
// REST, wrk paced) or grpc (CreateOccurrence, h2load, 8 streams). A figure the other load on a shared machine
// disturbs less than rates and latencies; compare two builds by alternating them (docs/performance.md, Round 5).

const SCALE = 100_000;
const POOL_SIZE = 10;

function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

async function main(): Promise<void> {
  const [kind = 'list', rateArg = '300', secondsArg = '6'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!['list', 'write', 'grpc'].includes(kind)) throw new Error(`the kind is list, write or grpc, got "${kind}"`);
  const rate = Number(rateArg);
  const seconds = Number(secondsArg);
  const db = await ensureBenchDatabase(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    process.env.BENCH_DATABASE_NAME ?? 'attestd_bench',
  );
  const pool = benchPool(db.url, 2);
  if (kind === 'list') await ensureScaleData(pool, SCALE, (line) => console.error(line));
  await pool.end();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-cpu-'));
  const server = await startBenchServer({
    databaseUrl: db.url,
    jwtSecret: BENCH_JWT_SECRET,
    poolMax: POOL_SIZE,
    dataDir,
    nodeArgs: process.argv.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve('bench/results/profiles')}`] : [],
  });
  try {
    const token = benchToken();
    const split = cpuSplit(os.cpus().length);
    const headers = { authorization: `Bearer ${token}` };
    await ensureProjectAndNote(server.httpUrl, token, WRITE_PROJECT, WRITE_NOTE);
    const [before, after] = JSON.stringify(occurrenceRequest(WRITE_PROJECT, WRITE_NOTE, '@@URI@@')).split('@@URI@@');
    const base = Date.now() % 1_000_000_000;
    const listPath = `/v1/projects/${scaleProject(SCALE)}/occurrences?pageSize=20&filter=`;
    const lua =
      kind === 'list'
        ? `${LUA_IMAGE}
function make(n)
  local q = 'resourceUri="' .. image(math.random(0, ${SCALE / NOTES - 1})) .. '"'
  return ${luaString(listPath)} .. string.gsub(q, "[^%w%-_%.!~%*'%(%)]", function(c) return string.format("%%%02X", string.byte(c)) end), nil
end`
        : `${LUA_IMAGE}
function make(n)
  return ${luaString(`/v1/projects/${WRITE_PROJECT}/occurrences`)}, ${luaString(before!)} .. image(${base} + n) .. ${luaString(after!)}
end`;
    const phase = (durationMs: number): Promise<GeneratedLoad> =>
      kind === 'grpc'
        ? h2load({
            url: `http://${server.grpcAddress}/grafeas.v1.Grafeas/CreateOccurrence`,
            clients: 4,
            streams: 2,
            durationMs,
            split,
            headers: grpcHeaders(token),
            body: grpcFrame('grafeas.v1.CreateOccurrenceRequest', {
              parent: `projects/${WRITE_PROJECT}`,
              occurrence: occurrenceRequest(WRITE_PROJECT, WRITE_NOTE, imageUri(base)),
            }),
          })
        : wrkLoad({
            url: server.httpUrl,
            connections: 8,
            rate,
            durationMs,
            split,
            method: kind === 'list' ? 'GET' : 'POST',
            headers: kind === 'list' ? headers : { ...headers, 'content-type': 'application/json' },
            lua,
          });
    await phase(2000);
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = cpuMs(server.pid);
    const load = await phase(seconds * 1000);
    await new Promise((r) => setTimeout(r, 500)); // the sequencer's last round, for writes
    const cpu = cpuMs(server.pid) - cpu0;
    console.log(
      `${kind}: ${load.ops} requests (${load.errors} errors) at ${load.perSecond.toFixed(0)}/s, p50 ${load.p50.toFixed(2)} ms; ` +
        `attestd CPU ${(cpu / load.ops).toFixed(3)} ms per request`,
    );
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
