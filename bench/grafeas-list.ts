import type { Benchmark } from './lib/benchmark';
import { imageUri, scaleProject } from './lib/fixtures';
import { httpLoad, pacedGets } from './lib/http-load';
import { closedLoop, openLoop } from './lib/load';
import { percentile } from './lib/stats';
import { ensureScaleData, randomImage } from './seed';

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
 * ListOccurrences resourceUri="…" over REST with `scale` occurrences stored: the maximum rate, then p50/p99
 * at half of it; the baseline is the same indexed SQL through pg, at its own maximum and then at the same
 * offered rate as attestd (so that both latencies are at the same load).
 */
export const grafeasList: Benchmark = {
  name: 'list',
  scale: true,
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
    const pgQuery = (): Promise<unknown> => ctx.pg.query(LIST_SQL, [project, imageUri(randomImage(ctx.scale)), PAGE_SIZE + 1]);
    const phase = ctx.durationMs;
    const max = await httpLoad({
      url: ctx.server.httpUrl,
      connections: CONCURRENCY,
      durationMs: phase,
      token: ctx.token,
      request: () => ({ path: listPath(project, randomImage(ctx.scale)) }),
    });
    ctx.recordErrors('list max', max);
    const pgMax = await closedLoop(CONCURRENCY, phase, pgQuery);
    ctx.recordErrors('list baseline max', pgMax);
    const rate = Math.max(1, Math.floor(max.perSecond / 2));
    const half = await pacedGets(ctx.server.httpUrl, ctx.token, rate, phase, () => listPath(project, randomImage(ctx.scale)));
    const pgHalf = await openLoop(rate, phase, pgQuery);
    ctx.recordErrors('list half rate', half);
    ctx.recordErrors('list baseline half rate', pgHalf);
    return {
      'list.maxRate': { value: max.perSecond, baseline: pgMax.perSecond },
      'list.p50': { value: percentile(half.latenciesMs, 0.5), baseline: percentile(pgHalf.latenciesMs, 0.5) },
      'list.p99': { value: percentile(half.latenciesMs, 0.99), baseline: percentile(pgHalf.latenciesMs, 0.99) },
    };
  },
};
