// Building the page from data: every value becomes a text node or an attribute set with setAttribute. Nothing
// is ever parsed as HTML, so attacker-controlled text (image names, descriptions, payloads) stays text.

/** What an element may contain: nodes, or values shown as text. */
export type Child = Node | string | number | boolean | null | undefined;

type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** Creates an element with attributes (functions become listeners: `onclick`) and children (strings as text). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'href') el.setAttribute('href', safeHref(String(value)));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (strings as text nodes). */
export function append(el: Element, children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Only the console's own pages are linked: anything else (javascript:, other origins) becomes a dead link. */
function safeHref(href: string): string {
  return href.startsWith('/console/') ? href : '#';
}

/** A link to a console page, followed without reloading. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href, 'data-internal': true }, ...children);
}

/** Replaces an element's content. */
export function replace(el: Element, ...children: Array<Child | Child[]>): void {
  el.replaceChildren();
  append(el, children);
}

/** A table with a header row; rows are arrays of cells. */
export function table(caption: string, headers: readonly string[], rows: ReadonlyArray<readonly Child[]>): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, `No ${caption.toLowerCase()}.`);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}

/** A verdict badge: green allowed, red denied, with the word (not colour alone). */
export function verdict(allowed: boolean): HTMLElement {
  return h('span', { class: allowed ? 'badge ok' : 'badge bad' }, allowed ? 'allowed' : 'denied');
}

/** A time as the reader's local date and time, with the exact value on hover. */
export function when(iso: unknown): HTMLElement {
  const s = typeof iso === 'string' ? iso : '';
  const d = new Date(s);
  return h('time', { datetime: s, title: s }, s && !Number.isNaN(d.getTime()) ? d.toLocaleString() : '—');
}

/** The last segment of a resource name (`projects/p/policies/x` → `x`). */
export function leaf(name: unknown): string {
  const s = typeof name === 'string' ? name : '';
  return s.slice(s.lastIndexOf('/') + 1);
}

/** A text field of a submitted form, or ''. */
export function formText(data: FormData, name: string): string {
  const v = data.get(name);
  return typeof v === 'string' ? v : '';
}
