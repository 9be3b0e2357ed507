/** Every action attestd authorizes, named `<resource>.<verb>`. */
export type Permission =
  | 'projects.create'
  | 'projects.get'
  | 'projects.list'
  | 'projects.delete'
  | 'notes.get'
  | 'notes.list'
  | 'notes.create'
  | 'notes.update'
  | 'notes.delete'
  | 'occurrences.get'
  | 'occurrences.list'
  | 'occurrences.create'
  | 'occurrences.update'
  | 'occurrences.delete'
  | 'auditEvents.list';

export type Role = 'viewer' | 'attestor' | 'admission' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'attestor', 'admission', 'admin'];

const READS: readonly Permission[] = [
  'projects.get',
  'projects.list',
  'notes.get',
  'notes.list',
  'occurrences.get',
  'occurrences.list',
  'auditEvents.list',
];

/** What each role may do within a project it is granted on. `admin` may do everything. */
export const ROLE_PERMISSIONS: Readonly<Record<Exclude<Role, 'admin'>, ReadonlySet<Permission>>> = {
  viewer: new Set(READS),
  attestor: new Set<Permission>([...READS, 'occurrences.create', 'occurrences.update', 'occurrences.delete']),
  admission: new Set(READS),
};
