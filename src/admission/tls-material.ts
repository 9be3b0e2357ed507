import fs from 'node:fs';
import os from 'node:os';
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
    const cert = fs.readFileSync(options.certFile, 'utf8');
    const key = fs.readFileSync(options.keyFile, 'utf8');
    return { cert, key, caBundle: Buffer.from(cert).toString('base64'), generated: false };
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
