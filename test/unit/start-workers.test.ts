import { expect } from 'chai';
import { startWorkers, type Worker } from '../../src/app/worker';
import { silentLogger } from '../../src/logger';

/** Workers that write what happens to them into one log. */
function workers(names: string[], fail: { start?: string; stop?: string } = {}): { list: Worker[]; log: string[] } {
  const log: string[] = [];
  const list = names.map((name): Worker => ({
    name,
    start: async () => {
      await Promise.resolve();
      if (fail.start === name) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
    },
    stop: () => {
      log.push(`stop ${name}`);
      if (fail.stop === name) throw new Error(`${name} cannot stop`);
    },
  }));
  return { list, log };
}

describe('startWorkers: start in list order, stop in reverse', () => {
  it('starts in list order and stops in reverse order, once however often stop is called', async () => {
    const { list, log } = workers(['database', 'sequencer', 'transports']);
    const stop = await startWorkers(list, silentLogger());
    expect(log).to.deep.equal(['start database', 'start sequencer', 'start transports']);
    await Promise.all([stop(), stop()]);
    await stop();
    expect(log.slice(3)).to.deep.equal(['stop transports', 'stop sequencer', 'stop database']);
  });

  it('when one fails to start, stops those already started (in reverse), starts no later one and rethrows', async () => {
    const { list, log } = workers(['database', 'sequencer', 'hooks', 'transports'], { start: 'hooks' });
    const err = await startWorkers(list, silentLogger()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('hooks cannot start');
    expect(log).to.deep.equal(['start database', 'start sequencer', 'stop sequencer', 'stop database']);
  });

  it('when one fails to stop, still stops the others, then rethrows the failure', async () => {
    const { list, log } = workers(['database', 'sequencer', 'transports'], { stop: 'sequencer' });
    const stop = await startWorkers(list, silentLogger());
    const err = await stop().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('sequencer cannot stop');
    expect(log.slice(3)).to.deep.equal(['stop transports', 'stop sequencer', 'stop database']);
  });
});
