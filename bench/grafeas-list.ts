import type { Benchmark } from './lib/benchmark';
import { imageUri, scaleProject } from './lib/fixtures';
import { closedLoop, pacedLoop } from './lib/load';
import { LUA_IMAGE, luaString } from './lib/lua';
import { withSelfCpu } from './lib/self-cpu';
import { percentile } from './lib/stats';
import { pacedConnections, wrkLoad } from './lib/wrk';
import { ensureScaleData, randomImage } from './seed';
import { NOTES } from './lib/fixtures';

/** Connections used to find the maximum rate (REST) and concurrent queries for pg's. */
const CONCURRENCY = 16;
const PAGE_SIZE = 20;

/** The SQL PostgresGrafeasStore issues for ListOccurrences with a resourceUri filter (first page). */
export const LIST_SQL =
  'SELECT occurrence_id AS key, body FROM occurrences WHERE project_id = $1 AND (resource_uri = $2) ORDER BY occurrence_id ASC LIMIT $3';

function listPath(project: string, image: number): string {
  return `/v1/projects/${project}/occurrences?filter=${encodeURIComponent(`resourceUri="${imageUri(image)}"`)}&pageSize=${PAGE_SIZE}`;
}

/**
 * ListOccurrences resourceUri="…" over REST with `scale` occurrences stored: the maximum rate (wrk), then p50/p99
 * at half of it (wrk, paced with random waits); the baseline is the same indexed SQL through pg, at its own maximum and then at
 * the same offered rate as attestd (so that both latencies are at the same load).
 */
export const grafeasList: Benchmark = {
  name: 'list',
  description: 'ListOccurrences resourceUri="…" at scale: p50/p99 at half the max rate vs the indexed SQL through pg',
  figures: [
    { id: 'list.maxRate', label: 'ListOccurrences max rate', unit: 'req/s', baselineLabel: 'pg indexed SELECT' },
    { id: 'list.p50', label: 'ListOccurrences p50 @ half max', unit: 'ms', baselineLabel: 'pg indexed SELECT', target: { ratioMax: 2 } },
    {
      id: 'list.p99',
      label: 'ListOccurrences p99 @ half max',
      unit: 'ms',
      baselineLabel: 'pg indexed SELECT',
      target: { valueMax: 10, ratioMax: 2 },
    },
  ],
  async prepare(ctx) {
    const r = await ensureScaleData(ctx.pg, ctx.scale, ctx.log);
    ctx.log(r.seeded ? `seeded ${ctx.scale} occurrences in ${r.seconds.toFixed(0)} s` : `reusing ${ctx.scale} seeded occurrences`);
  },
  async run(ctx) {
    const project = scaleProject(ctx.scale);
    const images = Math.max(1, Math.floor(ctx.scale / NOTES));
    const pgQuery = (): Promise<unknown> => ctx.pg.query(LIST_SQL, [project, imageUri(randomImage(ctx.scale)), PAGE_SIZE + 1]);
    const phase = ctx.durationMs;
    const [before, after] = listPath(project, 0).split(encodeURIComponent(imageUri(0)));
    // The filter's URI percent-encoded as encodeURIComponent does (":" "/" "@" "=" and the quotes).
    const randomListLua = `${LUA_IMAGE}
local function enc(s)
  return (string.gsub(s, "[^%w%-_%.!~%*'%(%)]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
function make(n)
  return ${luaString(before!)} .. enc(image(math.random(0, ${images - 1}))) .. ${luaString(after!)}, nil
end`;
    const max = await wrkLoad({
      url: ctx.server.httpUrl,
      connections: CONCURRENCY,
      durationMs: phase,
      split: ctx.split,
      headers: { authorization: `Bearer ${ctx.token}` },
      lua: randomListLua,
    });
    ctx.recordErrors('list max', max);
    const pgMax = await withSelfCpu(() => closedLoop(CONCURRENCY, phase, pgQuery));
    ctx.recordErrors('list baseline max', pgMax.result);
    const rate = Math.max(1, Math.floor(max.perSecond / 2));
    const half = await wrkLoad({
      url: ctx.server.httpUrl,
      connections: pacedConnections(rate),
      rate,
      durationMs: phase,
      split: ctx.split,
      headers: { authorization: `Bearer ${ctx.token}` },
      lua: randomListLua,
    });
    const pgHalf = await withSelfCpu(() => pacedLoop(pacedConnections(rate), rate, phase, pgQuery));
    ctx.recordErrors('list half rate', half);
    ctx.recordErrors('list baseline half rate', pgHalf.result);
    if (half.perSecond < 0.95 * rate) ctx.log(`list: the paced phase reached ${half.perSecond.toFixed(0)} of ${rate} req/s asked`);
    const cpu = { generatorCpu: half.generatorCpu, baselineGeneratorCpu: pgHalf.cores };
    return {
      'list.maxRate': {
        value: max.perSecond,
        baseline: pgMax.result.perSecond,
        generatorCpu: max.generatorCpu,
        baselineGeneratorCpu: pgMax.cores,
      },
      'list.p50': { value: half.p50, baseline: percentile(pgHalf.result.latenciesMs, 0.5), ...cpu },
      'list.p99': { value: half.p99, baseline: percentile(pgHalf.result.latenciesMs, 0.99), ...cpu },
    };
  },
};
