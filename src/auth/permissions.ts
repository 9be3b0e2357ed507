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
  | 'scans.import'
  | 'vex.import'
  | 'auditEvents.list'
  | 'keys.get'
  | 'keys.list'
  | 'keys.create'
  | 'keys.update'
  | 'keys.sign'
  | 'keys.verify'
  | 'witnesses.get'
  | 'witnesses.list'
  | 'witnesses.create'
  | 'witnesses.update'
  | 'witnesses.delete'
  | 'witnesses.attest'
  | 'policies.get'
  | 'policies.list'
  | 'policies.create'
  | 'policies.update'
  | 'policies.delete'
  | 'clusters.get'
  | 'clusters.list'
  | 'clusters.create'
  | 'clusters.update'
  | 'clusters.delete'
  | 'clusters.report'
  | 'signingRules.get'
  | 'signingRules.list'
  | 'signingRules.create'
  | 'signingRules.update'
  | 'signingRules.delete'
  | 'importRules.get'
  | 'importRules.list'
  | 'importRules.create'
  | 'importRules.update'
  | 'importRules.delete'
  | 'images.verify'
  | 'images.import'
  | 'decisions.list'
  | 'hooks.post'
  | 'hookEvents.list'
  | 'hookEvents.retry'
  | 'identityProviders.get'
  | 'identityProviders.list'
  | 'identityProviders.create'
  | 'identityProviders.update'
  | 'identityProviders.delete'
  | 'tokens.get'
  | 'tokens.list'
  | 'tokens.revoke';

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
  'keys.get',
  'keys.list',
  'keys.verify',
  'witnesses.get',
  'witnesses.list',
  'policies.get',
  'policies.list',
  'signingRules.get',
  'signingRules.list',
  'clusters.get',
  'clusters.list',
  'importRules.get',
  'importRules.list',
  'identityProviders.get',
  'identityProviders.list',
  'decisions.list',
  'hookEvents.list',
];

/** What each role may do within a project it is granted on. `admin` may do everything. */
export const ROLE_PERMISSIONS: Readonly<Record<Exclude<Role, 'admin'>, ReadonlySet<Permission>>> = {
  viewer: new Set(READS),
  attestor: new Set<Permission>([
    ...READS,
    'occurrences.create',
    'occurrences.update',
    'occurrences.delete',
    'scans.import',
    'vex.import',
    'witnesses.attest',
    'hooks.post',
    'images.import',
    'hookEvents.retry',
  ]),
  admission: new Set<Permission>([...READS, 'images.verify', 'clusters.report']),
};
