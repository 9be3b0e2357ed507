import fs from 'node:fs';
import path from 'node:path';

/** test/fixtures/vuln, from dist/test/support or test/support. */
const FIXTURES = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../test/fixtures/vuln' : '../fixtures/vuln',
);

/** A fresh copy of a JSON fixture from test/fixtures/vuln (see its PROVENANCE.md), safe to vary. */
export function vulnFixture(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** The fixture image: the digest both fixture reports name. */
export const FIXTURE_DIGEST = 'sha256:93a7750559e3e9475e74f703656f96c7dec074511e96c6a433eea62e888b6387';
