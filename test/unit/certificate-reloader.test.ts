import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import type { CertificateReloader } from '../../src/certificate-reloader';
import { loadTls, tlsReloader, type TlsMaterial } from '../../src/transport/tls-options';
import { replaceFile, testPair, writePair, type TestPair } from '../support/test-certificates';

/** A logger whose lines land in `lines` (parsed). */
function recordingLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string; err?: string }> } {
  const lines: Array<{ level: number; msg: string; err?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const subject = (m: TlsMaterial): string => new crypto.X509Certificate(m.cert).subject;

describe('CertificateReloader: TLS files replaced while serving', function () {
  this.timeout(20000);
  let dir: string;
  let a: TestPair;
  let b: TestPair;
  let files: { tlsCertFile: string; tlsKeyFile: string; tlsClientCaFile: undefined };

  before(async () => {
    [a, b] = await Promise.all([testPair('pair-a'), testPair('pair-b')]);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-reload-'));
    const written = writePair(dir, a);
    files = { tlsCertFile: written.certFile, tlsKeyFile: written.keyFile, tlsClientCaFile: undefined };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function reloader(logger: pino.Logger): CertificateReloader<TlsMaterial> {
    return tlsReloader(files, loadTls(files)!, 50, logger);
  }

  it('takes a valid new pair and tells its listeners', () => {
    const { logger } = recordingLogger();
    const r = reloader(logger);
    const seen: string[] = [];
    r.onChange((m) => seen.push(subject(m)));
    writePair(dir, b);
    expect(r.reload()).to.equal(true);
    expect(subject(r.current)).to.equal('CN=pair-b');
    expect(seen).to.deep.equal(['CN=pair-b']);
  });

  for (const c of [
    { desc: 'a certificate file replaced by garbage', damage: () => replaceFile(files.tlsCertFile, 'not a certificate\n') },
    { desc: 'a key file replaced by garbage', damage: () => replaceFile(files.tlsKeyFile, '\u0000\u00ff garbage') },
    { desc: 'a certificate without its key (half a rotation)', damage: () => replaceFile(files.tlsCertFile, b.cert) },
    { desc: 'an empty certificate file', damage: () => replaceFile(files.tlsCertFile, '') },
    { desc: 'a deleted key file', damage: () => fs.rmSync(files.tlsKeyFile) },
  ]) {
    it(`keeps the old pair and logs an error for ${c.desc}`, () => {
      const { logger, lines } = recordingLogger();
      const r = reloader(logger);
      const seen: TlsMaterial[] = [];
      r.onChange((m) => seen.push(m));
      c.damage();
      expect(r.reload()).to.equal(false);
      expect(subject(r.current)).to.equal('CN=pair-a');
      expect(seen).to.have.length(0);
      const error = lines.find((l) => l.level === 50);
      expect(error?.msg).to.match(/TLS certificate reload FAILED for REST and gRPC: still serving the previous certificate/);
      expect(error?.err).to.match(/TLS_(CERT|KEY)_FILE/);
      // The key never reaches the log.
      expect(JSON.stringify(lines)).to.not.include('PRIVATE KEY');
    });
  }

  it('notices a rotation by itself once started', async () => {
    const { logger } = recordingLogger();
    const r = reloader(logger);
    r.start();
    try {
      writePair(dir, b);
      for (let i = 0; i < 400 && subject(r.current) !== 'CN=pair-b'; i++) await new Promise((res) => setTimeout(res, 25));
      expect(subject(r.current)).to.equal('CN=pair-b');
    } finally {
      r.stop();
    }
  });
});
