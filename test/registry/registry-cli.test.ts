import { expect } from 'chai';
import { importRulesCommand } from '../../src/cli/import-rules-command';
import { rulesCommand } from '../../src/cli/rules-command';
import { startTestServer, type TestServer } from '../support/test-server';
import { setUpSigning } from './registry-support';

// `attestd rules` as a REST client against a real server.

describe('attestd rules (CLI)', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await setUpSigning(server.baseUrl, server.adminToken, { project: 'cli', witness: 'w' });
  });
  after(async () => server?.stop());

  const rules = (...argv: string[]) => run(rulesCommand, argv);
  const importRules = (...argv: string[]) => run(importRulesCommand, argv);
  const run = async (command: typeof rulesCommand, argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const io = {
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (err += t) },
      env: { ATTESTD_SERVER: server.baseUrl, ATTESTD_TOKEN: server.adminToken, ATTESTD_PROJECT: 'cli' },
    };
    const code = await command(argv, io);
    return { code, out, err };
  };

  it('create, list, get, disable, enable, delete', async () => {
    const created = await rules(
      'create',
      'demo',
      '--registry',
      '127.0.0.1:5000',
      '--namespace',
      'kritis-demo',
      '--witness',
      'w',
      '--enable',
    );
    expect(created.code, created.err).to.equal(0);
    expect(JSON.parse(created.out)).to.include({
      name: 'projects/cli/signingRules/demo',
      enabled: true,
      repositories: '*',
      witness: 'projects/cli/witnesses/w',
    });
    const list = await rules('list', '--output', 'text');
    expect(list.out).to.match(/projects\/cli\/signingRules\/demo\s+true\s+127\.0\.0\.1:5000\s+kritis-demo\s+\*\s+w/);
    expect(JSON.parse((await rules('disable', 'demo')).out).enabled).to.equal(false);
    expect(JSON.parse((await rules('get', 'projects/cli/signingRules/demo')).out).enabled).to.equal(false);
    expect(JSON.parse((await rules('enable', 'demo')).out).enabled).to.equal(true);
    expect((await rules('delete', 'demo')).code).to.equal(0);
    const gone = await rules('get', 'demo');
    expect(gone.code).to.not.equal(0);
    expect(gone.err).to.contain('does not exist');
  });

  it('--etag: enable, disable and delete only apply to the state last read, else ABORTED (exit 1)', async () => {
    const created = JSON.parse(
      (await rules('create', 'tagged', '--registry', '127.0.0.1:5000', '--namespace', 'etag-ns', '--witness', 'w')).out,
    );
    const enabled = await rules('enable', 'tagged', '--etag', created.etag);
    expect(enabled.code, enabled.err).to.equal(0);
    const current = JSON.parse(enabled.out);
    expect(current).to.include({ enabled: true, revision: '2' });
    const stale = await rules('disable', 'tagged', '--etag', created.etag);
    expect(stale.code).to.equal(1);
    expect(stale.err).to.match(/^attestd: ABORTED: signing rule projects\/cli\/signingRules\/tagged has changed since etag/);
    expect((await rules('delete', 'tagged', '--etag', created.etag)).code).to.equal(1);
    expect(JSON.parse((await rules('get', 'tagged')).out).etag).to.equal(current.etag);
    const deleted = await rules('delete', 'tagged', '--etag', current.etag);
    expect(deleted.code, deleted.err).to.equal(0);
    expect((await rules('get', 'tagged')).err).to.contain('does not exist');
  });

  it('usage errors exit 2', async () => {
    const r = await rules('create', 'x', '--namespace', 'n', '--witness', 'w');
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('--registry is required');
  });

  it('import-rules: create with several witnesses and --plain-http, list, get, disable, enable, delete', async () => {
    await setUpSigning(server.baseUrl, server.adminToken, { project: 'cli2', witness: 'w' });
    const created = await importRules(
      'create',
      'cosign',
      '--registry',
      '127.0.0.1:5000',
      '--namespace',
      'team',
      '--witness',
      'w',
      '--plain-http',
      '--enable',
    );
    expect(created.code, created.err).to.equal(0);
    expect(JSON.parse(created.out)).to.deep.include({
      name: 'projects/cli/importRules/cosign',
      enabled: true,
      plainHttp: true,
      repositories: '*',
      witnesses: ['projects/cli/witnesses/w'],
    });
    const list = await importRules('list', '--output', 'text');
    expect(list.out).to.match(/projects\/cli\/importRules\/cosign\s+true\s+127\.0\.0\.1:5000 \(http\)\s+team\s+\*\s+w\s+1/);
    expect(JSON.parse((await importRules('disable', 'cosign')).out).enabled).to.equal(false);
    expect(JSON.parse((await importRules('get', 'projects/cli/importRules/cosign')).out).enabled).to.equal(false);
    expect(JSON.parse((await importRules('enable', 'cosign')).out).enabled).to.equal(true);
    const foreign = await importRules('create', 'x', '--registry', 'r', '--namespace', 'n', '--witness', 'projects/cli2/witnesses/w');
    expect(foreign.code).to.equal(1);
    expect(foreign.err).to.contain('is in another project');
    const none = await importRules('create', 'x', '--registry', 'r', '--namespace', 'n');
    expect(none.code).to.equal(2);
    expect(none.err).to.contain('--witness is required');
    expect((await importRules('delete', 'cosign')).code).to.equal(0);
    expect((await importRules('get', 'cosign')).err).to.contain('does not exist');
  });
});
