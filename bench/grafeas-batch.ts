import { baselineInsert, chainedRate, prepareBaselineProject, resetWriteProject } from './lib/baseline-writes';
import type { Benchmark } from './lib/benchmark';
import { ensureProjectAndNote, imageUri, occurrenceRequest } from './lib/fixtures';
import { closedLoop } from './lib/load';
import { LUA_IMAGE, luaString } from './lib/lua';
import { withSelfCpu } from './lib/self-cpu';
import { wrkLoad } from './lib/wrk';

const PROJECT = 'bench-batch';
const BASELINE_PROJECT = 'bench-batch-pg';
const NOTE = 'signed';
/** Batches in flight at once (REST connections and pg transactions alike). */
const CONCURRENCY = 2;
const URI_MARK = '@@URI@@';

/** BatchCreateOccurrences of 1000 (REST, wrk; every occurrence a new image) vs multi-row INSERTs of the same rows through pg. */
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
    const base = (runIndex + 1) * 100_000_000;
    const uris = (i: number): string[] => Array.from({ length: size }, (_, k) => imageUri(base + i * size + k));
    const [before, after] = JSON.stringify(occurrenceRequest(PROJECT, NOTE, URI_MARK)).split(URI_MARK);
    // Batch n holds images n*size … n*size+size-1 (wrapping below 2^32 as image() needs).
    const rest = await wrkLoad({
      url: ctx.server.httpUrl,
      connections: CONCURRENCY,
      durationMs: ctx.durationMs,
      split: ctx.split,
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' },
      lua: `${LUA_IMAGE}
local size = ${size}
function make(n)
  local items = {}
  local first = (n * size) % 4000000000
  for k = 0, size - 1 do
    items[k + 1] = ${luaString(before!)} .. image(first + k) .. ${luaString(after!)}
  end
  return ${luaString(`/v1/projects/${PROJECT}/occurrences:batchCreate`)}, '{"occurrences":[' .. table.concat(items, ",") .. ']}'
end`,
    });
    ctx.recordErrors('batch.rest', rest);
    const restRate = await chainedRate(ctx.pg, PROJECT, rest);
    const pg = await withSelfCpu(() =>
      closedLoop(CONCURRENCY, ctx.durationMs, (i) => baselineInsert(ctx.pg, BASELINE_PROJECT, NOTE, uris(i))),
    );
    ctx.recordErrors('batch baseline', pg.result);
    return {
      'batch.rest': {
        value: restRate * size,
        baseline: pg.result.perSecond * size,
        generatorCpu: rest.generatorCpu,
        baselineGeneratorCpu: pg.cores,
      },
    };
  },
};
