import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { OLD_SPACE_CAP_MB, SERVER_NODE_FLAGS, serverExecArgv } from '../../src/app/server-node-flags';

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const CAP = `--max-old-space-size=${OLD_SPACE_CAP_MB}`;

describe('server node flags', () => {
  it('are added to a forked server process after its parent flags, with the old-space cap where it lowers the limit', () => {
    expect(serverExecArgv(['--enable-source-maps'], undefined, 4144)).to.deep.equal([
      '--enable-source-maps',
      '--max-semi-space-size=32',
      CAP,
    ]);
  });

  it("never raise V8's own old-space limit (a container with less memory has a lower one)", () => {
    expect(serverExecArgv([], undefined, 320)).to.deep.equal(['--max-semi-space-size=32']);
  });

  it("leave the operator's own value alone, from the command line or NODE_OPTIONS, in either spelling", () => {
    for (const [argv, options, added] of [
      [['--max-semi-space-size=64'], undefined, [CAP]],
      [[], '--trace-warnings --max-semi-space-size=64', [CAP]],
      [[], '--max_semi_space_size=64 --max-old-space-size=3000', []],
      [['--max-old-space-size=3000'], undefined, ['--max-semi-space-size=32']],
    ] as const) {
      expect(serverExecArgv(argv, options, 4144).slice(argv.length), `${argv.join(' ')} / ${options}`).to.deep.equal(added);
    }
  });

  it('are what the container image and npm start run the server with', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(/NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1]).to.equal(SERVER_NODE_FLAGS.join(' '));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).to.contain(`node ${SERVER_NODE_FLAGS.join(' ')} bin/attestd.js serve`);
  });
});
