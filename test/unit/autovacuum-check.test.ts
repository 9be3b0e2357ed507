import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/logger';
import { AUTOVACUUM_OFF_WARNING, checkAutovacuum } from '../../src/store/autovacuum-check';

/** A logger whose lines are kept. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<{ level: number; msg: string }> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    logger: createLogger('debug', sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; msg: string }),
  };
}

describe('autovacuum check at start', () => {
  it('warns, saying what to do, when the server runs with autovacuum off', async () => {
    const { logger, lines } = capturedLogger();
    await checkAutovacuum(() => Promise.resolve('off'), logger);
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.include({ level: 40, msg: AUTOVACUUM_OFF_WARNING });
    expect(AUTOVACUUM_OFF_WARNING).to.match(/turn autovacuum on, or run VACUUM \(ANALYZE\) regularly/);
  });

  it('says nothing when autovacuum is on, and does not stop the start when the setting cannot be read', async () => {
    const { logger, lines } = capturedLogger();
    await checkAutovacuum(() => Promise.resolve('on'), logger);
    await checkAutovacuum(() => Promise.reject(new Error('permission denied')), logger);
    expect(lines().filter((l) => l.level >= 40)).to.deep.equal([]);
  });
});
