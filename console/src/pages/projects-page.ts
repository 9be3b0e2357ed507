import { list, str } from '../api';
import { h, link, type Child } from '../dom';
import { pageHref } from '../navigate';
import { projectsOfToken } from '../session';

/** The projects this token may read: every project for a `*` grant, else the ones it names. */
export async function projectsPage(): Promise<Child[]> {
  const named = projectsOfToken().filter((p) => p !== '*');
  let ids = named;
  if (projectsOfToken().includes('*')) {
    const page = await list('/v1/projects', 'projects', { pageSize: '1000' });
    ids = page.items.map((p) => str(p.name).replace(/^projects\//, ''));
  }
  return [
    h('h1', {}, 'Projects'),
    ids.length === 0
      ? h('p', { class: 'empty' }, 'This token grants no project.')
      : h('ul', { class: 'cards' }, ...ids.map((id) => h('li', {}, link(pageHref(id, ''), id)))),
  ];
}
