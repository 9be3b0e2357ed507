import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SERVER_NODE_FLAGS, serverExecArgv } from '../../src/app/server-node-flags';

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

describe('server node flags', () => {
  it('are added to a forked server process after its parent flags', () => {
    expect(serverExecArgv(['--enable-source-maps'], undefined)).to.deep.equal(['--enable-source-maps', ...SERVER_NODE_FLAGS]);
  });

  it("leave the operator's own value alone, from the command line or NODE_OPTIONS, in either spelling", () => {
    for (const [argv, options] of [
      [['--max-semi-space-size=64'], undefined],
      [[], '--trace-warnings --max-semi-space-size=64'],
      [[], '--max_semi_space_size=64'],
    ] as const) {
      expect(serverExecArgv(argv, options), `${argv.join(' ')} / ${options}`).to.deep.equal(argv);
    }
  });

  it('are what the container image and npm start run the server with', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(/NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1]).to.equal(SERVER_NODE_FLAGS.join(' '));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).to.contain(`node ${SERVER_NODE_FLAGS.join(' ')} bin/attestd.js serve`);
  });
});
