import { expect } from 'chai';
import { pathGlob } from '../../src/domain/path-glob';

describe('path globs (`*` within a segment, `**` across)', () => {
  const cases: [string, string, boolean][] = [
    ['gcr.io/project/*', 'gcr.io/project/app', true],
    ['gcr.io/project/*', 'gcr.io/project/team/app', false],
    ['gcr.io/project/**', 'gcr.io/project/team/app', true],
    ['gcr.io/project/**', 'gcr.io/projectx/app', false],
    ['registry.k8s.io/pause*', 'registry.k8s.io/pause:3.9', true],
    ['team-*', 'team-a', true],
    ['team-*', 'team-a/b', false],
    ['a.b', 'aXb', false],
    ['apps/(x)', 'apps/(x)', true],
    ['*', '', true],
  ];
  for (const [pattern, value, want] of cases) {
    it(`${JSON.stringify(pattern)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(value)}`, () => {
      expect(pathGlob(pattern).test(value)).to.equal(want);
    });
  }
});
