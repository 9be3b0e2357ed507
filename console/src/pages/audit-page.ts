import { list, str } from '../api';
import { formText, h, link, table, when, type Child } from '../dom';
import { quoted } from '../filter-text';
import { navigate, pageHref } from '../navigate';
import type { PageContext } from '../routes';
import { verifyChainAction } from './chain-status';

const FIELDS = ['actor', 'resource', 'method'] as const;

/** The audit trail, paged and filtered by actor, resource and method. */
export async function auditPage(ctx: PageContext): Promise<Child[]> {
  const p = Object.fromEntries(FIELDS.map((f) => [f, ctx.params.get(f) ?? ''])) as Record<string, string>;
  const terms = FIELDS.filter((f) => p[f]).map((f) => `${f}=${quoted(p[f] ?? '')}`);
  const page = await list(`/v1/projects/${encodeURIComponent(ctx.project)}/auditEvents`, 'auditEvents', {
    filter: terms.join(' AND '),
    pageSize: '50',
    pageToken: ctx.params.get('page') ?? '',
  });
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const data = new FormData(form);
        navigate(pageHref(ctx.project, 'audit', Object.fromEntries(FIELDS.map((f) => [f, formText(data, f)]))));
      },
    },
    ...FIELDS.map((f) =>
      h(
        'span',
        { class: 'field' },
        h('label', { for: `a-${f}` }, f[0]?.toUpperCase() + f.slice(1)),
        h('input', { id: `a-${f}`, name: f, value: p[f] }),
      ),
    ),
    h('button', { type: 'submit' }, 'Filter'),
  );
  return [
    h('h1', {}, 'Audit trail'),
    verifyChainAction(ctx.project),
    form,
    table(
      'Audit events',
      ['Seq', 'When', 'Actor', 'Method', 'Resource', 'Kind'],
      page.items.map((e) => [str(e.seq), when(e.time), str(e.actor), str(e.method), h('code', {}, str(e.resource)), str(e.kind)]),
    ),
    page.next ? h('p', {}, link(pageHref(ctx.project, 'audit', { ...p, page: page.next }), 'Next page')) : null,
  ];
}
