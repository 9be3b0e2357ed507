import { api, arr, str, type Json } from '../api';
import { h, replace, when } from '../dom';

/** Asks the server to verify the project's audit chain (`auditEvents:verify`). */
export function verifyChain(project: string): Promise<Json> {
  return api(`/v1/projects/${encodeURIComponent(project)}/auditEvents:verify`);
}

/** A verification as a status block: intact (events, head) or broken (where and why). */
export function chainResult(v: Json): HTMLElement {
  const intact = v.intact === true;
  const problems = arr(v.problems);
  const pending = Number(str(v.pendingEvents) || '0');
  return h(
    'div',
    { class: 'chain', 'data-intact': String(intact) },
    h(
      'p',
      {},
      h('span', { class: intact ? 'badge ok' : 'badge bad' }, intact ? 'intact' : 'broken'),
      ' ',
      `${str(v.events) || '0'} event(s) verified; head at event ${str(v.headSeq) || '0'}`,
      v.headHash ? [' (', h('code', { title: str(v.headHash) }, str(v.headHash).slice(0, 16)), '…)'] : null,
      `; ${str(v.anchors) || '0'} anchor(s) checked; verified `,
      when(v.verifyTime),
    ),
    problems.length > 0
      ? h(
          'ul',
          { class: 'problems' },
          ...problems.map((p) => h('li', {}, str(p.seq) && str(p.seq) !== '0' ? `Event ${str(p.seq)}: ` : '', str(p.message))),
        )
      : null,
    pending > 0 ? h('p', {}, `${pending} event(s) committed but not chained yet.`) : null,
  );
}

/** A "Verify chain" button and the region its result appears in (announced to screen readers). */
export function verifyChainAction(project: string): HTMLElement {
  const out = h('div', { id: 'chain-result', role: 'status', 'aria-live': 'polite' });
  const button = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        button.disabled = true;
        replace(out, h('p', { class: 'loading' }, 'Verifying…'));
        verifyChain(project)
          .then(
            (v) => replace(out, chainResult(v)),
            (err: unknown) => replace(out, h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err))),
          )
          .finally(() => {
            button.disabled = false;
          });
      },
    },
    'Verify chain',
  );
  return h('section', { class: 'verify' }, button, out);
}
