import { baselineInsert, chainedRate, prepareBaselineProject, resetWriteProject } from './lib/baseline-writes';
import type { Benchmark } from './lib/benchmark';
import { ensureProjectAndNote, imageUri, occurrenceRequest, WRITE_NOTE, WRITE_PROJECT } from './lib/fixtures';
import { GrafeasGrpcPool } from './lib/grpc-pool';
import { httpLoad } from './lib/http-load';
import { closedLoop } from './lib/load';

/** Requests in flight for every write phase (REST connections, gRPC calls, pg transactions alike). */
const CONCURRENCY = 32;
const BASELINE_PROJECT = `${WRITE_PROJECT}-pg`;

/** CreateOccurrence over REST and gRPC vs the same rows inserted straight through pg (same pool size). */
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
    const base = runIndex * 10_000_000;
    const path = `/v1/projects/${WRITE_PROJECT}/occurrences`;
    const rest = await httpLoad({
      url: ctx.server.httpUrl,
      connections: CONCURRENCY,
      durationMs: ctx.durationMs,
      token: ctx.token,
      method: 'POST',
      request: (i) => ({ path, body: JSON.stringify(occurrenceRequest(WRITE_PROJECT, WRITE_NOTE, imageUri(base + i))) }),
    });
    ctx.recordErrors('write.rest', rest);
    const restRate = await chainedRate(ctx.pg, WRITE_PROJECT, rest);

    const pool = new GrafeasGrpcPool(ctx.server.grpcAddress, ctx.token, 4);
    const grpc = await closedLoop(CONCURRENCY, ctx.durationMs, (i) =>
      pool.call('CreateOccurrence', {
        parent: `projects/${WRITE_PROJECT}`,
        occurrence: occurrenceRequest(WRITE_PROJECT, WRITE_NOTE, imageUri(base + 5_000_000 + i)),
      }),
    );
    pool.close();
    ctx.recordErrors('write.grpc', grpc);
    const grpcRate = await chainedRate(ctx.pg, WRITE_PROJECT, grpc);

    const pg = await closedLoop(CONCURRENCY, ctx.durationMs, (i) =>
      baselineInsert(ctx.pg, BASELINE_PROJECT, WRITE_NOTE, [imageUri(base + i)]),
    );
    ctx.recordErrors('write baseline', pg);
    return {
      'write.rest': { value: restRate, baseline: pg.perSecond },
      'write.grpc': { value: grpcRate, baseline: pg.perSecond },
    };
  },
};
