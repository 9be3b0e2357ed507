import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');

// docker-compose.yml says in its header what `docker compose up` gives; it must be what the file starts.
describe('docker-compose.yml', () => {
  const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const header = text.slice(0, text.indexOf('\nservices:'));
  const attestd = text.slice(text.indexOf('\n  attestd:'));
  const command = /command: \[(.*)\]/.exec(attestd)?.[1] ?? '';
  const published = [...attestd.matchAll(/- "(\d+):(\d+)"/g)].map((m) => m[1]);

  it('publishes every port its header promises, and only those the server listens on', () => {
    const promised = [...header.matchAll(/(REST|gRPC|webhook)[^:\n]* on :(\d+)/g)].map((m) => m[2]);
    expect(promised).to.include.members(['8080', '9090']);
    for (const port of promised) expect(published, `port ${port} promised in the header`).to.include(port);
    for (const port of published) expect(attestd, `port ${port} published`).to.match(new RegExp(`_PORT: "${port}"`));
  });

  it('claims the admission webhook only when it starts it (serve --admission)', () => {
    const starts = command.includes('--admission');
    const claims = /admission webhook on :\d+/.test(header);
    expect(claims).to.equal(starts);
    if (!starts) expect(attestd).not.to.contain('ADMISSION_PORT:');
  });
});
