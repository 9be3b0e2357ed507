import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/** A serving certificate for the webhook, and the caBundle a ValidatingWebhookConfiguration needs for it. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** base64 of the PEM certificate (for `clientConfig.caBundle`). */
  readonly caBundle: string;
  /** True when the pair was generated at start-up (no --tls-cert/--tls-key). */
  readonly generated: boolean;
}

/** DNS names a generated certificate covers: loopback, this host, and the Service in deploy/kubernetes. */
export function defaultDnsNames(): string[] {
  const svc = 'attestd-admission';
  const ns = 'attestd';
  return [...new Set(['localhost', os.hostname(), svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`])];
}

/** Reads --tls-cert/--tls-key, or generates a self-signed sha256 pair with DNS SANs and IP SANs 127.0.0.1 and ::1. */
export async function loadOrGenerateTls(options: {
  certFile?: string;
  keyFile?: string;
  dnsNames?: readonly string[];
}): Promise<TlsMaterial> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) throw new Error('--tls-cert and --tls-key go together: give both or neither');
    return readWebhookTls(options.certFile, options.keyFile);
  }
  const dnsNames = options.dnsNames ?? defaultDnsNames();
  const pems = await generate([{ name: 'commonName', value: dnsNames[0] ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dnsNames.map((value) => ({ type: 2 as const, value })), { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, caBundle: Buffer.from(pems.cert).toString('base64'), generated: true };
}

/** Reads and checks --tls-cert/--tls-key: a PEM certificate and the private key that belongs to it, or an Error naming the file. */
export function readWebhookTls(certFile: string, keyFile: string): TlsMaterial {
  const read = (flag: string, file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${flag} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const cert = read('--tls-cert', certFile);
  const key = read('--tls-key', keyFile);
  try {
    new crypto.X509Certificate(cert);
  } catch (err) {
    throw new Error(`--tls-cert ${certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    crypto.createPrivateKey(key);
  } catch (err) {
    throw new Error(`--tls-key ${keyFile} is not a PEM private key: ${(err as Error).message}`);
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`--tls-key ${keyFile} does not match the certificate in --tls-cert ${certFile}: ${(err as Error).message}`);
  }
  return { cert, key, caBundle: Buffer.from(cert).toString('base64'), generated: false };
}
