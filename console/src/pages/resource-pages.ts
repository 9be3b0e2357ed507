import { coverageWarning } from '../../../src/domain/webhook-coverage';
import { api, arr, list, listAll, str, type Json } from '../api';
import { h, leaf, link, table, when, type Child } from '../dom';
import { quoted } from '../filter-text';
import { pageHref } from '../navigate';
import type { PageContext } from '../routes';

/** The columns a list shows per kind (the detail page shows every field). */
const COLUMNS: Record<string, readonly string[]> = {
  policies: ['cluster', 'namespaces', 'enabled', 'enforcement', 'witnesses', 'updateTime'],
  witnesses: ['description', 'key', 'keys', 'createTime'],
  keys: ['purpose', 'keySpec', 'state', 'primaryVersion', 'createTime'],
  signingRules: ['registry', 'namespace', 'repositories', 'witness', 'enabled'],
  hookEvents: ['image', 'tag', 'status', 'reason', 'receiveTime'],
};

/** A list of one kind (paged), or one item's fields with its public key and what changed when. */
export function resourcePage(kind: string): (ctx: PageContext) => Promise<Child[]> {
  return async (ctx) => {
    const parent = `projects/${ctx.project}`;
    const id = ctx.segments[3];
    if (id) return detail(ctx.project, kind, `${parent}/${kind}/${id}`);
    const status = ctx.params.get('status') ?? '';
    const page = await list(`/v1/${parent}/${kind}`, kind, { pageSize: '50', pageToken: ctx.params.get('page') ?? '' });
    const items = status ? page.items.filter((i) => str(i.status) === status) : page.items;
    const columns = COLUMNS[kind] ?? [];
    return [
      h('h1', {}, title(kind)),
      table(
        title(kind),
        ['Name', ...columns],
        items.map((i) => [
          link(pageHref(ctx.project, `${kind}/${encodeURIComponent(leaf(i.name))}`), leaf(i.name)),
          ...columns.map((c) => show(i[c])),
        ]),
      ),
      page.next ? h('p', {}, link(pageHref(ctx.project, kind, { page: page.next, status }), 'Next page')) : null,
    ];
  };
}

async function detail(project: string, kind: string, name: string): Promise<Child[]> {
  const [item, history, publicKey] = await Promise.all([
    api(`/v1/${name}`),
    listAll(`/v1/projects/${encodeURIComponent(project)}/auditEvents`, 'auditEvents', { filter: `resource=${quoted(name)}` }),
    kind === 'keys' ? api(`/v1/${name}/publicKey`).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const versions = kind === 'keys' ? await keyVersions(name, item) : null;
  const coverage = kind === 'policies' ? await policyCoverage(project, item) : null;
  return [
    h('h1', {}, `${title(kind).replace(/s$/, '').replace(/ie$/, 'y')} ${leaf(name)}`),
    coverage,
    fields(versions ? Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'versions')) : item),
    versions,
    publicKey ? h('section', {}, h('h2', {}, 'Public key'), fields(publicKey)) : null,
    h('h2', {}, 'What changed when'),
    table(
      'Changes',
      ['When', 'Actor', 'Method', 'Request'],
      history.map((e) => [when(e.time), str(e.actor), str(e.method), h('code', {}, str(e.requestId))]),
    ),
  ];
}

/** A warning when the policy names namespaces its cluster's webhook, as declared, does not cover (ADR 0065). */
async function policyCoverage(project: string, policy: Json): Promise<HTMLElement | null> {
  const cluster = str(policy.cluster);
  if (!cluster) return null;
  const declared = await api(`/v1/projects/${encodeURIComponent(project)}/clusters/${encodeURIComponent(cluster)}`).catch(() => undefined);
  if (!declared) return null;
  const warning = coverageWarning(
    cluster,
    declared,
    arr(policy.namespaces).map((n) => str(n)),
  );
  return warning ? h('p', { class: 'error', role: 'alert' }, `Not enforced: ${warning}`) : null;
}

/** A key's versions, newest first: algorithm, creation, which one signs, and each version's key id (its public part). */
async function keyVersions(name: string, key: Json): Promise<HTMLElement> {
  const versions = arr(key.versions);
  const ids = await Promise.all(
    versions.map((v) =>
      api(`/v1/${name}/publicKey?version=${encodeURIComponent(leaf(v.name))}`).then(
        (k) => str(k.keyId),
        () => '—',
      ),
    ),
  );
  const primary = str(key.primaryVersion);
  const rows = versions
    .map((v, i) => [
      leaf(v.name),
      str(v.algorithm),
      when(v.createTime),
      str(v.name) === primary ? h('span', { class: 'badge ok' }, 'primary') : '',
      h('code', {}, ids[i] ?? '—'),
    ])
    .reverse();
  return h('section', {}, h('h2', {}, 'Versions'), table('Key versions', ['Version', 'Algorithm', 'Created', 'Signs', 'Key id'], rows));
}

function fields(item: Json): HTMLElement {
  return h('dl', { class: 'fields' }, ...Object.entries(item).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, show(v))]));
}

/** A field's value as text: lists joined, objects as JSON, PEM and long values in a code block. */
function show(v: unknown): Node {
  if (Array.isArray(v)) return document.createTextNode(v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', '));
  if (typeof v === 'object' && v !== null) return h('pre', {}, JSON.stringify(v, null, 2));
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  if (s.includes('\n')) return h('pre', {}, s);
  return document.createTextNode(s);
}

function title(kind: string): string {
  return (
    { policies: 'Policies', witnesses: 'Witnesses', keys: 'Keys', signingRules: 'Signing rules', hookEvents: 'Hook events' }[kind] ?? kind
  );
}
