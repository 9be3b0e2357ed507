/** The event the console renders on after `navigate`. */
export const NAVIGATE = 'console:navigate';

/** Goes to a console page: pushes it onto the history and renders it. */
export function navigate(href: string): void {
  history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** A console page's address: `/console/p/{project}/{path}` with query parameters (empty ones left out). */
export function pageHref(project: string, path: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ''));
  const base = `/console/p/${encodeURIComponent(project)}/${path}`;
  return q.size ? `${base}?${q}` : base;
}
