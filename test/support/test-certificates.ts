import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

/** A self-signed P-256 serving pair for localhost and 127.0.0.1, as PEM text. */
export interface TestPair {
  readonly cert: string;
  readonly key: string;
}

/** Generates a fresh pair; `commonName` tells pairs apart in assertions. */
export async function testPair(commonName: string): Promise<TestPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Writes a pair as `<dir>/tls.crt` and `<dir>/tls.key` the way a rotation does: each file replaced by a rename. */
export function writePair(dir: string, pair: TestPair): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'tls.crt');
  const keyFile = path.join(dir, 'tls.key');
  replaceFile(keyFile, pair.key);
  replaceFile(certFile, pair.cert);
  return { certFile, keyFile };
}

/** Replaces a file's contents at once (write beside it, then rename over it). */
export function replaceFile(file: string, contents: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}
