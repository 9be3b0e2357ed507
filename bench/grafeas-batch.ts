import { baselineInsert, chainedRate, prepareBaselineProject, resetWriteProject } from './lib/baseline-writes';
import type { Benchmark } from './lib/benchmark';
import { ensureProjectAndNote, imageUri, occurrenceRequest } from './lib/fixtures';
import { httpLoad } from './lib/http-load';
import { closedLoop } from './lib/load';

const PROJECT = 'bench-batch';
const BASELINE_PROJECT = 'bench-batch-pg';
const NOTE = 'signed';
/** Batches in flight at once (REST connections and pg transactions alike). */
const CONCURRENCY = 2;

/** BatchCreateOccurrences of 1000 (REST) vs multi-row INSERTs of the same rows (occurrences and audit events) through pg. */
export const grafeasBatch: Benchmark = {
  name: 'batch',
  description: 'BatchCreateOccurrences of 1000 (REST) occurrences/s vs multi-row INSERT through pg',
  figures: [
    {
      id: 'batch.rest',
      label: 'BatchCreateOccurrences×1000 REST',
      unit: 'occ/s',
      baselineLabel: 'pg multi-row INSERT',
      target: { ratioMin: 0.8 },
    },
  ],
  async prepare(ctx) {
    await ensureProjectAndNote(ctx.server.httpUrl, ctx.token, PROJECT, NOTE);
    await prepareBaselineProject(ctx.pg, BASELINE_PROJECT, NOTE);
  },
  async run(ctx, runIndex) {
    const size = ctx.quick ? 200 : 1000;
    await resetWriteProject(ctx.pg, PROJECT);
    await resetWriteProject(ctx.pg, BASELINE_PROJECT);
    const base = runIndex * 100_000_000;
    const uris = (i: number): string[] => Array.from({ length: size }, (_, k) => imageUri(base + i * size + k));
    const path = `/v1/projects/${PROJECT}/occurrences:batchCreate`;
    const rest = await httpLoad({
      url: ctx.server.httpUrl,
      connections: CONCURRENCY,
      durationMs: ctx.durationMs,
      token: ctx.token,
      method: 'POST',
      request: (i) => ({ path, body: JSON.stringify({ occurrences: uris(i).map((u) => occurrenceRequest(PROJECT, NOTE, u)) }) }),
    });
    ctx.recordErrors('batch.rest', rest);
    const restRate = await chainedRate(ctx.pg, PROJECT, rest);
    const pg = await closedLoop(CONCURRENCY, ctx.durationMs, (i) => baselineInsert(ctx.pg, BASELINE_PROJECT, NOTE, uris(i)));
    ctx.recordErrors('batch baseline', pg);
    return { 'batch.rest': { value: restRate * size, baseline: pg.perSecond * size } };
  },
};
