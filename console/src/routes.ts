import type { Child } from './dom';
import { auditPage } from './pages/audit-page';
import { decisionsPage } from './pages/decisions-page';
import { imagePage } from './pages/image-page';
import { overviewPage } from './pages/overview-page';
import { resourcePage } from './pages/resource-pages';

/** What a page knows: the project, the path's segments and the query parameters. */
export interface PageContext {
  readonly project: string;
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
}

/** A page: its path under `/console/p/{project}/`, its title, and what it shows. */
export interface Route {
  readonly path: string;
  readonly title: string;
  readonly render: (ctx: PageContext) => Promise<Child[]>;
}

export const ROUTES: readonly Route[] = [
  { path: '', title: 'Overview', render: overviewPage },
  { path: 'images', title: 'Image', render: imagePage },
  { path: 'decisions', title: 'Decisions', render: decisionsPage },
  { path: 'policies', title: 'Policies', render: resourcePage('policies') },
  { path: 'witnesses', title: 'Witnesses', render: resourcePage('witnesses') },
  { path: 'keys', title: 'Keys', render: resourcePage('keys') },
  { path: 'signingRules', title: 'Signing rules', render: resourcePage('signingRules') },
  { path: 'hookEvents', title: 'Hook events', render: resourcePage('hookEvents') },
  { path: 'audit', title: 'Audit trail', render: auditPage },
];
