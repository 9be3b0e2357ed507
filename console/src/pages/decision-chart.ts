import { str, type Json } from '../api';
import { h } from '../dom';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Allowed and denied decisions per day as stacked bars, with the numbers as a text alternative. */
export function decisionChart(decisions: readonly Json[]): Element {
  const days = new Map<string, { allowed: number; denied: number }>();
  for (const d of decisions) {
    const day = str(d.time).slice(0, 10);
    const v = days.get(day) ?? { allowed: 0, denied: 0 };
    if (d.allowed === true) v.allowed++;
    else v.denied++;
    days.set(day, v);
  }
  const entries = [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-30);
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No decisions yet.');
  const max = Math.max(...entries.map(([, v]) => v.allowed + v.denied));
  const bar = 24;
  const height = 120;
  const summary = entries.map(([day, v]) => `${day}: ${v.allowed} allowed, ${v.denied} denied`).join('; ');
  const chart = svg('svg', {
    viewBox: `0 0 ${entries.length * (bar + 8)} ${height + 20}`,
    role: 'img',
    'aria-label': summary,
    class: 'chart',
  });
  entries.forEach(([day, v], i) => {
    const x = i * (bar + 8);
    const ha = (v.allowed / max) * height;
    const hd = (v.denied / max) * height;
    chart.append(svg('rect', { x, y: height - ha - hd, width: bar, height: hd, class: 'denied' }));
    chart.append(svg('rect', { x, y: height - ha, width: bar, height: ha, class: 'allowed' }));
    chart.append(svg('text', { x: x + bar / 2, y: height + 14, 'text-anchor': 'middle', class: 'axis' }, day.slice(5)));
  });
  return h(
    'figure',
    {},
    chart,
    h('figcaption', {}, h('span', { class: 'key allowed' }, 'allowed'), ' ', h('span', { class: 'key denied' }, 'denied'), ' — ', summary),
  );
}
