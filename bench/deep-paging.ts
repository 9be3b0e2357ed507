import type { Benchmark } from './lib/benchmark';
import { rest, scaleProject } from './lib/fixtures';
import { wrkLoad } from './lib/wrk';
import { ensureScaleData } from './seed';

const PAGE_SIZE = 20;
const CONNECTIONS = 8;

let deepToken: { scale: number; page: number; token: string } | undefined;

function pagePath(project: string, token: string): string {
  return `/v1/projects/${project}/occurrences?pageSize=${PAGE_SIZE}${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`;
}

/** Walks the project's unfiltered ListOccurrences to the token of page `page`. */
async function tokenOfPage(baseUrl: string, token: string, project: string, page: number): Promise<string> {
  let next = '';
  for (let p = 1; p < page; p++) {
    const res = (await rest(baseUrl, token, 'GET', pagePath(project, next))) as { nextPageToken?: string };
    if (!res.nextPageToken) throw new Error(`${project} has fewer than ${page} pages of ${PAGE_SIZE}`);
    next = res.nextPageToken;
  }
  return next;
}

/** Page 1 vs page 1000 (50 in quick mode) of one ListOccurrences: keyset paging should make them cost alike. */
export const deepPaging: Benchmark = {
  name: 'paging',
  description: 'ListOccurrences page 1000 vs page 1 (pageSize 20, keyset tokens), p50 latency under closed-loop load (wrk)',
  figures: [
    { id: 'paging.p50', label: 'ListOccurrences page N p50', unit: 'ms', baselineLabel: 'page 1 p50', target: { ratioMax: 1.2 } },
    { id: 'paging.rate', label: 'ListOccurrences page N rate', unit: 'req/s', baselineLabel: 'page 1 rate' },
  ],
  async prepare(ctx) {
    await ensureScaleData(ctx.pg, ctx.scale, ctx.log);
    // Page 1000 (50 in quick mode), or the last full page of a smaller data set (--scale).
    const page = Math.min(ctx.quick ? 50 : 1000, Math.floor(ctx.scale / PAGE_SIZE));
    if (deepToken?.scale !== ctx.scale || deepToken.page !== page) {
      const started = Date.now();
      deepToken = { scale: ctx.scale, page, token: await tokenOfPage(ctx.server.httpUrl, ctx.token, scaleProject(ctx.scale), page) };
      ctx.log(`paging: walked to page ${page} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  },
  async run(ctx, runIndex) {
    const project = scaleProject(ctx.scale);
    const measure = (token: string) =>
      wrkLoad({
        url: ctx.server.httpUrl,
        connections: CONNECTIONS,
        durationMs: ctx.durationMs,
        split: ctx.split,
        headers: { authorization: `Bearer ${ctx.token}` },
        path: pagePath(project, token),
      });
    // Alternate which page goes first, so that warm-up favours neither.
    const first = runIndex % 2 === 0;
    const a = await measure(first ? '' : deepToken!.token);
    const b = await measure(first ? deepToken!.token : '');
    const [page1, deep] = first ? [a, b] : [b, a];
    for (const r of [page1, deep]) ctx.recordErrors('paging', r);
    return {
      'paging.p50': { value: deep.p50, baseline: page1.p50, generatorCpu: deep.generatorCpu, baselineGeneratorCpu: page1.generatorCpu },
      'paging.rate': {
        value: deep.perSecond,
        baseline: page1.perSecond,
        generatorCpu: deep.generatorCpu,
        baselineGeneratorCpu: page1.generatorCpu,
      },
    };
  },
};
