import { whenUnauthenticated } from './api';
import { h, link, replace } from './dom';
import { ROUTES, type PageContext } from './routes';
import { navigate, NAVIGATE } from './navigate';
import { claims, signIn, signOut, token } from './session';
import { projectsPage } from './pages/projects-page';

const BASE = '/console/';

/** Shows the page the address names; asks for a token first when the tab has none. */
async function render(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  const nav = document.getElementById('nav') as HTMLElement;
  const who = document.getElementById('who') as HTMLElement;
  if (!token()) {
    replace(nav);
    replace(who);
    replace(main, signInForm());
    document.title = 'Sign in · attestd console';
    return;
  }
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  replace(who, claims()?.subject ?? '', ' ', h('button', { type: 'button', onclick: () => void leave() }, 'Sign out'));
  const ctx: PageContext = {
    segments,
    params: new URLSearchParams(location.search),
    project: segments[0] === 'p' ? (segments[1] ?? '') : '',
  };
  replace(nav, ...navLinks(ctx.project));
  const route = ctx.project ? ROUTES.find((r) => r.path === (segments[2] ?? '')) : undefined;
  const page = route ?? { title: 'Projects', render: projectsPage };
  document.title = `${page.title} · attestd console`;
  replace(main, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  try {
    replace(main, ...(await page.render(ctx)));
  } catch (err) {
    replace(main, h('h1', {}, page.title), h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)));
  }
  const current = nav.querySelector(`a[href="${CSS.escape(location.pathname)}"]`);
  current?.setAttribute('aria-current', 'page');
}

function navLinks(project: string): HTMLElement[] {
  if (!project) return [link(BASE, 'Projects')];
  const base = `${BASE}p/${encodeURIComponent(project)}/`;
  return [link(BASE, 'Projects'), ...ROUTES.map((r) => link(base + r.path, r.title))];
}

function signInForm(): HTMLElement {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: (e: Event) => {
        e.preventDefault();
        signIn(input.value);
        void render();
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste an attestd token. It is kept in this tab only and sent to this server alone.'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  queueMicrotask(() => input.focus());
  return form;
}

async function leave(): Promise<void> {
  signOut();
  await render();
}

/** Follows console links without reloading the page. */
function follow(e: MouseEvent): void {
  const a = (e.target as Element | null)?.closest('a[data-internal]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? BASE);
}

whenUnauthenticated(() => {
  signOut();
  void render();
});
document.addEventListener('click', follow);
window.addEventListener('popstate', () => void render());
window.addEventListener(NAVIGATE, () => void render().then(() => document.getElementById('main')?.focus()));
void render();
