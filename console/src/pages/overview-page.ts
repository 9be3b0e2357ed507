import { arr, listAll, str, type Json } from '../api';
import { h, link, table, type Child } from '../dom';
import { pageHref } from '../navigate';
import type { PageContext } from '../routes';
import { chainResult, verifyChain } from './chain-status';
import { decisionChart } from './decision-chart';

/** Decisions over time per cluster/namespace, top deny reasons, the hook backlog, the audit chain's status. */
export async function overviewPage(ctx: PageContext): Promise<Child[]> {
  const parent = `/v1/projects/${encodeURIComponent(ctx.project)}`;
  const [decisions, hookEvents, chain] = await Promise.all([
    listAll(`${parent}/decisions`, 'decisions'),
    listAll(`${parent}/hookEvents`, 'hookEvents'),
    verifyChain(ctx.project).then(chainResult, (err: unknown) =>
      h(
        'p',
        { class: 'error', role: 'alert' },
        `The audit chain could not be verified: ${err instanceof Error ? err.message : String(err)}`,
      ),
    ),
  ]);
  const perScope = new Map<string, { cluster: string; namespace: string; allowed: number; denied: number }>();
  const reasons = new Map<string, number>();
  for (const d of decisions) {
    const key = `${str(d.cluster)}\u0000${str(d.namespace)}`;
    const s = perScope.get(key) ?? { cluster: str(d.cluster), namespace: str(d.namespace), allowed: 0, denied: 0 };
    if (d.allowed === true) s.allowed++;
    else s.denied++;
    perScope.set(key, s);
    for (const r of arr(d.results)) if (r.allowed !== true) reasons.set(str(r.reason), (reasons.get(str(r.reason)) ?? 0) + 1);
  }
  const backlog = countBy(hookEvents, (e) => str(e.status));
  return [
    h('h1', {}, `Overview of ${ctx.project}`),
    h('h2', {}, 'Decisions over time'),
    decisionChart(decisions),
    h('h2', {}, 'Per cluster and namespace'),
    table(
      'Decisions per cluster and namespace',
      ['Cluster', 'Namespace', 'Allowed', 'Denied'],
      [...perScope.values()].map((s) => [
        s.cluster,
        s.namespace,
        String(s.allowed),
        link(pageHref(ctx.project, 'decisions', { cluster: s.cluster, namespace: s.namespace, verdict: 'denied' }), String(s.denied)),
      ]),
    ),
    h('h2', {}, 'Top deny reasons'),
    table(
      'Deny reasons',
      ['Reason', 'Images denied'],
      [...reasons.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([r, n]) => [r, String(n)]),
    ),
    h('h2', {}, 'Audit chain'),
    chain,
    h('p', {}, link(pageHref(ctx.project, 'audit'), 'Audit trail')),
    h('h2', {}, 'Hook backlog'),
    table(
      'Hook events by status',
      ['Status', 'Events'],
      [...backlog.entries()].map(([s, n]) => [link(pageHref(ctx.project, 'hookEvents', { status: s }), s), String(n)]),
    ),
  ];
}

function countBy(items: readonly Json[], key: (j: Json) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}
