// The token lives in this tab's sessionStorage only: never in a URL, a cookie or localStorage.

const KEY = 'attestd.token';

/** The signed-in token, if any. */
export function token(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function signIn(t: string): void {
  sessionStorage.setItem(KEY, t.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** What the token says about its holder (read, not verified: the server verifies every call). */
export interface Claims {
  readonly subject: string;
  readonly roles: Readonly<Record<string, readonly string[]>>;
}

export function claims(): Claims | undefined {
  const t = token();
  const part = t?.split('.')[1];
  if (!part) return undefined;
  try {
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown; roles?: unknown };
    const roles = typeof json.roles === 'object' && json.roles !== null ? (json.roles as Record<string, string[]>) : {};
    return { subject: typeof json.sub === 'string' ? json.sub : '', roles };
  } catch {
    return undefined;
  }
}

/** Projects the token names (`*` when it covers every project). */
export function projectsOfToken(): string[] {
  return Object.keys(claims()?.roles ?? {});
}
