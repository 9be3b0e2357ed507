import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OPENAPI_FILE, projectDir } from '../../scripts/openapi/openapi';
import { ROLE_PERMISSIONS, ROLES } from '../../src/auth/permissions';

// api/README.md is the API reference people read: it must name every route the server has and say truly which
// role may call what.
describe('API reference (api/README.md)', () => {
  const root = projectDir(__dirname);
  const reference = fs.readFileSync(path.join(root, 'api', 'README.md'), 'utf8');
  const paths = Object.keys((JSON.parse(fs.readFileSync(path.join(root, OPENAPI_FILE), 'utf8')) as { paths: object }).paths);

  /** How the reference writes a path's last step: `:verb`, `/collection/{`, or `/segment`. */
  const needle = (p: string): string => {
    const segments = p.split('/');
    const last = segments.at(-1)!;
    if (last.includes(':')) return last.slice(last.indexOf(':'));
    if (last.startsWith('{')) return `/${segments.at(-2)!}/{`;
    return `/${last}`;
  };

  it('names every REST path of api/openapi.json', () => {
    const missing = paths.filter((p) => !p.includes('/locations/') && !reference.includes(needle(p)));
    expect(missing, 'paths api/README.md does not name').to.deep.equal([]);
  });

  /** The `x.y` permission names in backticks on the roles table's row of `role`. */
  const row = (role: string): Set<string> => {
    const line = reference.split('\n').find((l) => l.startsWith(`| \`${role}\` |`));
    expect(line, `a roles row for ${role}`).to.be.a('string');
    return new Set([...line!.matchAll(/`([a-zA-Z]+\.[a-zA-Z]+)`/g)].map((m) => m[1]!));
  };

  it('has a roles row per role, naming exactly what each role may do beyond reading', () => {
    const reads = ROLE_PERMISSIONS.viewer;
    for (const role of ROLES) row(role);
    expect(
      [...reads].every((p) => /\.(get|list|verify)$/.test(p)),
      'viewer only reads',
    ).to.equal(true);
    for (const role of ['attestor', 'admission'] as const) {
      const beyond = [...ROLE_PERMISSIONS[role]].filter((p) => !reads.has(p));
      expect([...row(role)].sort(), role).to.deep.equal(beyond.sort());
    }
  });
});
