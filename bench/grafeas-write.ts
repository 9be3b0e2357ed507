import type pg from 'pg';
import { baselineInsert, chainedRate, prepareBaselineProject, resetWriteProject } from './lib/baseline-writes';
import type { Benchmark } from './lib/benchmark';
import { ensureProjectAndNote, imageUri, occurrenceRequest, WRITE_NOTE, WRITE_PROJECT } from './lib/fixtures';
import { grpcFrame, grpcHeaders } from './lib/grpc-body';
import { h2load } from './lib/h2load';
import { closedLoop } from './lib/load';
import { LUA_IMAGE, luaString } from './lib/lua';
import { withSelfCpu } from './lib/self-cpu';
import { wrkLoad } from './lib/wrk';

/** Requests in flight for every write phase (REST connections, gRPC streams, pg transactions alike). */
const CONCURRENCY = 32;
/** gRPC: HTTP/2 connections, CONCURRENCY / GRPC_CONNECTIONS streams each. */
const GRPC_CONNECTIONS = 4;
const BASELINE_PROJECT = `${WRITE_PROJECT}-pg`;
const URI_MARK = '@@URI@@';

/** Counts the project's occurrences (gRPC answers' statuses travel in trailers h2load does not read: the rows are the truth). */
async function stored(pg: pg.Pool, project: string): Promise<number> {
  const { rows } = await pg.query<{ n: string }>('SELECT count(*) AS n FROM occurrences WHERE project_id = $1', [project]);
  return Number(rows[0]!.n);
}

/**
 * CreateOccurrence over REST (wrk, each request a new image) and gRPC (h2load, HTTP/2 POSTs of a
 * length-prefixed CreateOccurrenceRequest) vs the same rows inserted straight through pg (same pool size).
 */
export const grafeasWrite: Benchmark = {
  name: 'write',
  description: 'CreateOccurrence (REST, gRPC) occurrences/s vs occurrence + audit event in one pg transaction',
  figures: [
    { id: 'write.rest', label: 'CreateOccurrence REST', unit: 'occ/s', baselineLabel: 'pg INSERT occ+audit', target: { ratioMin: 0.6 } },
    { id: 'write.grpc', label: 'CreateOccurrence gRPC', unit: 'occ/s', baselineLabel: 'pg INSERT occ+audit', target: { ratioMin: 0.6 } },
  ],
  async prepare(ctx) {
    await ensureProjectAndNote(ctx.server.httpUrl, ctx.token, WRITE_PROJECT, WRITE_NOTE);
    await prepareBaselineProject(ctx.pg, BASELINE_PROJECT, WRITE_NOTE);
  },
  async run(ctx, runIndex) {
    await resetWriteProject(ctx.pg, WRITE_PROJECT);
    await resetWriteProject(ctx.pg, BASELINE_PROJECT);
    const base = (runIndex + 1) * 10_000_000;
    const [before, after] = JSON.stringify(occurrenceRequest(WRITE_PROJECT, WRITE_NOTE, URI_MARK)).split(URI_MARK);
    const rest = await wrkLoad({
      url: ctx.server.httpUrl,
      connections: CONCURRENCY,
      durationMs: ctx.durationMs,
      split: ctx.split,
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' },
      lua: `${LUA_IMAGE}
function make(n)
  return ${luaString(`/v1/projects/${WRITE_PROJECT}/occurrences`)}, ${luaString(before!)} .. image(${base} + n) .. ${luaString(after!)}
end`,
    });
    ctx.recordErrors('write.rest', rest);
    const restRate = await chainedRate(ctx.pg, WRITE_PROJECT, rest);

    await resetWriteProject(ctx.pg, WRITE_PROJECT);
    const grpc = await h2load({
      url: `http://${ctx.server.grpcAddress}/grafeas.v1.Grafeas/CreateOccurrence`,
      clients: GRPC_CONNECTIONS,
      streams: CONCURRENCY / GRPC_CONNECTIONS,
      durationMs: ctx.durationMs,
      split: ctx.split,
      headers: grpcHeaders(ctx.token),
      body: grpcFrame('grafeas.v1.CreateOccurrenceRequest', {
        parent: `projects/${WRITE_PROJECT}`,
        occurrence: occurrenceRequest(WRITE_PROJECT, WRITE_NOTE, imageUri(base + 5_000_000)),
      }),
    });
    const grpcRows = await stored(ctx.pg, WRITE_PROJECT);
    ctx.recordErrors('write.grpc', {
      errors: grpc.errors + Math.max(0, grpc.ops - grpcRows),
      firstError: grpc.firstError ?? `${grpc.ops - grpcRows} calls answered without a stored occurrence (a gRPC error status)`,
    });
    const grpcRate = await chainedRate(ctx.pg, WRITE_PROJECT, { ops: grpcRows, seconds: grpc.seconds });

    const pg = await withSelfCpu(() =>
      closedLoop(CONCURRENCY, ctx.durationMs, (i) => baselineInsert(ctx.pg, BASELINE_PROJECT, WRITE_NOTE, [imageUri(base + i)])),
    );
    ctx.recordErrors('write baseline', pg.result);
    return {
      'write.rest': { value: restRate, baseline: pg.result.perSecond, generatorCpu: rest.generatorCpu, baselineGeneratorCpu: pg.cores },
      'write.grpc': { value: grpcRate, baseline: pg.result.perSecond, generatorCpu: grpc.generatorCpu, baselineGeneratorCpu: pg.cores },
    };
  },
};
