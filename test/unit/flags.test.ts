import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ADMISSION_FLAGS, CONFIG_FLAGS, CONFIG_VARIABLES, loadAdmissionConfig, loadConfig, settingsOf } from '../../src/config';
import { FlagError, parseFlags, type FlagSpecs } from '../../src/flags';

const SPECS: FlagSpecs = {
  'http-port': { type: 'string' },
  'grpc-port': { type: 'string' },
  admission: { type: 'boolean' },
  role: { type: 'string', multiple: true },
};

const REPO = path.join(__dirname, '..', '..', '..');

describe('the strict flag parser', () => {
  const accepted: Array<{ desc: string; argv: string[]; values: Record<string, unknown>; positionals?: string[] }> = [
    { desc: 'a value after the flag', argv: ['--http-port', '8081'], values: { 'http-port': '8081' } },
    { desc: 'a value after =', argv: ['--http-port=8081'], values: { 'http-port': '8081' } },
    { desc: 'the variable spelling', argv: ['--HTTP_PORT=8081'], values: { 'http-port': '8081' } },
    { desc: 'the variable spelling, value after it', argv: ['--HTTP_PORT', '8081'], values: { 'http-port': '8081' } },
    { desc: 'an empty value after =', argv: ['--http-port='], values: { 'http-port': '' } },
    { desc: 'a value with = in it', argv: ['--http-port=a=b'], values: { 'http-port': 'a=b' } },
    { desc: 'the last of a repeated flag', argv: ['--http-port', '1', '--http-port', '2'], values: { 'http-port': '2' } },
    { desc: 'a switch alone', argv: ['--admission'], values: { admission: true } },
    { desc: 'a switch =false', argv: ['--admission=false'], values: { admission: false } },
    {
      desc: 'a switch before a positional (a switch takes no next argument)',
      argv: ['--admission', 'x'],
      values: { admission: true },
      positionals: ['x'],
    },
    { desc: 'every value of a repeatable flag', argv: ['--role', 'a', '--role=b'], values: { role: ['a', 'b'] } },
    {
      desc: 'positionals around flags',
      argv: ['a', '--grpc-port', '1', 'b', '-'],
      values: { 'grpc-port': '1' },
      positionals: ['a', 'b', '-'],
    },
    { desc: 'everything after -- as positionals', argv: ['--', '--bogus', '-x'], values: {}, positionals: ['--bogus', '-x'] },
  ];
  for (const c of accepted) {
    it(`accepts ${c.desc}`, () => {
      const parsed = parseFlags(c.argv, SPECS);
      expect(parsed.help).to.equal(false);
      expect(parsed.values).to.deep.equal(c.values);
      expect(parsed.positionals).to.deep.equal(c.positionals ?? []);
    });
  }

  const refused: Array<{ desc: string; argv: string[]; message: string }> = [
    { desc: 'a misspelt flag', argv: ['--htp-port', '1'], message: 'unknown flag --htp-port; did you mean --http-port?' },
    { desc: 'a misspelt variable spelling', argv: ['--HTP_PORT=1'], message: 'unknown flag --HTP_PORT; did you mean --HTTP_PORT?' },
    { desc: 'two swapped letters', argv: ['--grcp-port=1'], message: 'unknown flag --grcp-port; did you mean --grpc-port?' },
    { desc: 'a flag like none', argv: ['--colour-scheme=dark'], message: 'unknown flag --colour-scheme; see --help for the flags' },
    {
      desc: 'a value flag at the end',
      argv: ['--http-port'],
      message: '--http-port needs a value: --http-port VALUE or --http-port=VALUE',
    },
    { desc: 'a value flag before another flag', argv: ['--http-port', '--admission'], message: '--http-port needs a value' },
    { desc: 'a switch with a value', argv: ['--admission=maybe'], message: '--admission is a switch: give it alone, or =true / =false' },
    { desc: 'a single-dash flag', argv: ['-p', '1'], message: 'unknown flag -p; flags are spelt --name (see --help)' },
  ];
  for (const c of refused) {
    it(`refuses ${c.desc}, saying what to fix`, () => {
      expect(() => parseFlags(c.argv, SPECS))
        .to.throw(FlagError)
        .with.property('message')
        .that.satisfies((m: string) => m.startsWith(c.message));
    });
  }

  it('answers help for --help or -h anywhere before --, without judging the other flags', () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help'], ['--http-port', '1', '-h']])
      expect(parseFlags(argv, SPECS), argv.join(' ')).to.deep.equal({ values: {}, positionals: [], help: true });
    expect(parseFlags(['--', '--help'], SPECS).help).to.equal(false);
  });
});

describe('configuration flags', () => {
  it('has a flag for every configuration variable the README documents', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('Operations:'));
    const documented = [...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect(documented).to.include.members(['HTTP_PORT', 'DATABASE_URL', 'ADMISSION_PROJECT', 'RATE_LIMIT_BURST']);
    const flags = { ...CONFIG_FLAGS, ...ADMISSION_FLAGS };
    for (const v of documented) expect(flags, v).to.have.property(v.toLowerCase().replace(/_/g, '-'));
    for (const flag of ['server', 'token', 'project', 'cluster', 'tls-cert', 'tls-key']) expect(ADMISSION_FLAGS).to.have.property(flag);
  });

  it('passes every configuration flag to loadConfig under its variable name', () => {
    const argv = CONFIG_VARIABLES.flatMap((v) => [`--${v.toLowerCase().replace(/_/g, '-')}`, `x-${v}`]);
    const settings = settingsOf(parseFlags(argv, CONFIG_FLAGS).values);
    expect(Object.keys(settings).sort()).to.deep.equal([...CONFIG_VARIABLES].sort());
    for (const v of CONFIG_VARIABLES) expect(settings[v]).to.equal(`x-${v}`);
  });

  it('lets a flag override the environment, in either spelling', () => {
    const env = { HTTP_PORT: '9000', GRPC_PORT: '9001', ATTESTD_SERVER: 'http://env:1' };
    const { values } = parseFlags(['--http-port', '8081', '--GRPC_PORT=8082', '--server=http://flag:2'], {
      ...CONFIG_FLAGS,
      ...ADMISSION_FLAGS,
    });
    const settings = settingsOf(values);
    expect(loadConfig(env, settings)).to.include({ httpPort: 8081, grpcPort: 8082 });
    expect(loadAdmissionConfig(env, settings).server).to.equal('http://flag:2');
    expect(loadConfig(env, {})).to.include({ httpPort: 9000, grpcPort: 9001 });
  });
});
