import { api, arr, listAll, str, type Json } from '../api';
import { h, leaf, link, table, verdict, when, type Child } from '../dom';
import { decisionFilter, imageMatches, occurrenceFilter, parseImageQuery, quoted } from '../filter-text';
import { navigate, pageHref } from '../navigate';
import type { PageContext } from '../routes';

/** One image: every attestation (verified now), every decision about it and its signing history. */
export async function imagePage(ctx: PageContext): Promise<Child[]> {
  const text = ctx.params.get('q') ?? '';
  const form = searchForm(ctx.project, text);
  if (!text.trim()) return [h('h1', {}, 'Image'), form, h('p', { class: 'empty' }, 'Search by repo@sha256:…, by repository or by digest.')];
  const q = parseImageQuery(text);
  const parent = `/v1/projects/${encodeURIComponent(ctx.project)}`;
  const [occurrences, decisions, hookEvents] = await Promise.all([
    listAll(`${parent}/occurrences`, 'occurrences', { filter: occurrenceFilter(q) }),
    listAll(`${parent}/decisions`, 'decisions', { filter: decisionFilter(q) }),
    listAll(`${parent}/hookEvents`, 'hookEvents'),
  ]);
  const attestations = await Promise.all(occurrences.map((o) => attestationRow(ctx.project, o)));
  return [
    h('h1', {}, 'Image'),
    form,
    h('p', { class: 'subject' }, h('code', {}, text)),
    h('h2', {}, 'Attestations'),
    table('Attestations', ['Image', 'Witness', 'Key', 'Algorithm', 'When', 'By', 'Signature verifies now'], attestations),
    h('h2', {}, 'Decisions'),
    decisionTable(ctx.project, decisions, (image) => imageMatches(image, q)),
    h('h2', {}, 'Signing history'),
    table(
      'Signing history',
      ['Received', 'Image', 'Tag', 'Status', 'Reason', 'Rule', 'Witness'],
      hookEvents
        .filter((e) => imageMatches(str(e.image), q))
        .map((e) => [
          when(e.receiveTime),
          h('code', {}, str(e.image)),
          str(e.tag),
          str(e.status),
          str(e.reason),
          ref(ctx.project, 'signingRules', e.signingRule),
          ref(ctx.project, 'witnesses', e.witness),
        ]),
    ),
  ];
}

function searchForm(project: string, text: string): HTMLElement {
  const input = h('input', {
    id: 'q',
    name: 'q',
    type: 'search',
    value: text,
    placeholder: 'registry/ns/app@sha256:…',
    spellcheck: 'false',
  });
  return h(
    'form',
    {
      role: 'search',
      class: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        navigate(pageHref(project, 'images', { q: input.value.trim() }));
      },
    },
    h('label', { for: 'q' }, 'Image'),
    input,
    h('button', { type: 'submit' }, 'Search'),
  );
}

/** One attestation: witness, key, algorithm, time, the actor the audit trail records, and a fresh verification. */
async function attestationRow(project: string, o: Json): Promise<Child[]> {
  const att = (o.attestation ?? {}) as Json;
  const sig = arr(att.signatures)[0] ?? {};
  const keyVersion = str(sig.publicKeyId);
  const key = keyVersion.replace(/\/versions\/[^/]+$/, '');
  const [actor, algorithm, verified] = await Promise.all([
    attestingActor(project, str(o.name)),
    api(`/v1/${key}/publicKey`).then(
      (k) => str(k.algorithm),
      () => '—',
    ),
    api(`/v1/${key}:verify`, { data: str(att.serializedPayload), signature: str(sig.signature) }).then(
      (r) => r.valid === true,
      () => false,
    ),
  ]);
  return [
    h('code', {}, str(o.resourceUri).replace(/^https:\/\//, '')),
    ref(project, 'witnesses', `projects/${project}/witnesses/${leaf(o.noteName)}`),
    h('code', {}, keyVersion ? leaf(key) + keyVersion.slice(key.length) : '—'),
    algorithm,
    when(o.createTime),
    actor,
    h('span', { class: verified ? 'badge ok' : 'badge bad', 'data-verified': String(verified) }, verified ? 'yes' : 'no'),
  ];
}

/** Who created an occurrence, as the audit trail records it. */
async function attestingActor(project: string, occurrence: string): Promise<string> {
  const events = await listAll(`/v1/projects/${encodeURIComponent(project)}/auditEvents`, 'auditEvents', {
    filter: `resource=${quoted(occurrence)}`,
  }).catch(() => []);
  return str(events[0]?.actor) || '—';
}

/** Decisions with a verdict per image (those `shown` picks), newest first, each linking its policies. */
export function decisionTable(project: string, decisions: readonly Json[], shown: (image: string) => boolean = () => true): HTMLElement {
  const rows: Child[][] = [];
  for (const d of [...decisions].reverse()) {
    for (const r of arr(d.results)) {
      if (!shown(str(r.image))) continue;
      rows.push([
        when(d.time),
        str(d.cluster),
        str(d.namespace),
        h('span', {}, link(pageHref(project, 'images', { q: str(r.image) }), str(r.image))),
        verdict(r.allowed === true),
        h('span', { title: str(r.message) }, str(r.reason)),
        h('span', {}, ...arr(r.policies).map((p) => ref(project, 'policies', p))),
      ]);
    }
  }
  return table('Decisions', ['When', 'Cluster', 'Namespace', 'Image', 'Verdict', 'Reason', 'Policy'], rows);
}

/** A link to a resource's page in the console, or a dash. */
export function ref(project: string, kind: string, name: unknown): Node {
  const id = leaf(name);
  return id ? link(pageHref(project, `${kind}/${encodeURIComponent(id)}`), id) : document.createTextNode('—');
}
