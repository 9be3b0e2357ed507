import { list } from '../api';
import { formText, h, link, type Child } from '../dom';
import { quoted } from '../filter-text';
import { navigate, pageHref } from '../navigate';
import type { PageContext } from '../routes';
import { decisionTable } from './image-page';

const FIELDS = ['image', 'cluster', 'namespace', 'verdict', 'since', 'until'] as const;

/** Decisions filtered by image, cluster, namespace, verdict and time, a page at a time; each links its image and policy. */
export async function decisionsPage(ctx: PageContext): Promise<Child[]> {
  const p = Object.fromEntries(FIELDS.map((f) => [f, ctx.params.get(f) ?? ''])) as Record<(typeof FIELDS)[number], string>;
  const terms: string[] = [];
  // Server-side: one of the decision's images contains the text (repo@sha256:…, a repository or a digest).
  const imageText = p.image.trim().replace(/^https:\/\//, '');
  if (imageText) terms.push(`image:${quoted(imageText)}`);
  if (p.cluster) terms.push(`cluster=${quoted(p.cluster)}`);
  if (p.namespace) terms.push(`namespace=${quoted(p.namespace)}`);
  if (p.verdict) terms.push(`allowed=${p.verdict === 'allowed' ? 'true' : 'false'}`);
  if (p.since) terms.push(`time>=${quoted(new Date(p.since).toISOString())}`);
  if (p.until) terms.push(`time<${quoted(new Date(p.until).toISOString())}`);
  const pageToken = ctx.params.get('page') ?? '';
  const page = await list(`/v1/projects/${encodeURIComponent(ctx.project)}/decisions`, 'decisions', {
    filter: terms.join(' AND '),
    pageSize: '50',
    pageToken,
  });
  return [
    h('h1', {}, 'Decisions'),
    filterForm(ctx.project, p),
    decisionTable(ctx.project, page.items, (image) => image.includes(imageText)),
    page.next ? h('p', {}, link(pageHref(ctx.project, 'decisions', { ...p, page: page.next }), 'Next page')) : null,
  ];
}

function filterForm(project: string, p: Record<string, string>): HTMLElement {
  const field = (name: string, label: string, type = 'text') =>
    h(
      'span',
      { class: 'field' },
      h('label', { for: `f-${name}` }, label),
      h('input', { id: `f-${name}`, name, type, value: p[name] ?? '' }),
    );
  const select = h(
    'select',
    { id: 'f-verdict', name: 'verdict' },
    ...['', 'allowed', 'denied'].map((v) => h('option', { value: v, selected: p.verdict === v }, v || 'any')),
  );
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const data = new FormData(form);
        navigate(pageHref(project, 'decisions', Object.fromEntries(FIELDS.map((f) => [f, formText(data, f)]))));
      },
    },
    field('image', 'Image'),
    field('cluster', 'Cluster'),
    field('namespace', 'Namespace'),
    h('span', { class: 'field' }, h('label', { for: 'f-verdict' }, 'Verdict'), select),
    field('since', 'Since', 'datetime-local'),
    field('until', 'Until', 'datetime-local'),
    h('button', { type: 'submit' }, 'Filter'),
  );
  return form;
}
