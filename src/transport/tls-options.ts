import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger';
import { CertificateReloader } from '../certificate-reloader';

/** Where the PEM files for TLS come from (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE). */
export interface TlsFiles {
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly tlsClientCaFile: string | undefined;
}

/** Validated PEM material: the server's chain and key, and the CA that client certificates must chain to. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When set, gRPC requires and verifies a client certificate signed by this CA bundle. */
  readonly clientCa: Buffer | undefined;
}

/**
 * Reads and checks the configured PEM files; undefined when TLS is off (neither cert nor key set).
 * Throws an Error naming the variable and file for a half configuration, an unreadable or unparsable
 * file, or a key that does not belong to the certificate.
 */
export function loadTls(files: TlsFiles): TlsMaterial | undefined {
  const { tlsCertFile, tlsKeyFile, tlsClientCaFile } = files;
  if (!tlsCertFile && !tlsKeyFile) {
    if (tlsClientCaFile)
      throw new Error('TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE: client certificates are only checked over TLS');
    return undefined;
  }
  if (!tlsCertFile || !tlsKeyFile) {
    throw new Error(`TLS needs both TLS_CERT_FILE and TLS_KEY_FILE; only ${tlsCertFile ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'} is set`);
  }
  const cert = readPem('TLS_CERT_FILE', tlsCertFile);
  const key = readPem('TLS_KEY_FILE', tlsKeyFile);
  try {
    new crypto.X509Certificate(cert);
  } catch (err) {
    throw new Error(`TLS_CERT_FILE ${tlsCertFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  try {
    crypto.createPrivateKey(key);
  } catch (err) {
    throw new Error(`TLS_KEY_FILE ${tlsKeyFile} is not a PEM private key (encrypted keys are not supported): ${(err as Error).message}`);
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`TLS_KEY_FILE ${tlsKeyFile} does not match the certificate in TLS_CERT_FILE ${tlsCertFile}: ${(err as Error).message}`);
  }
  let clientCa: Buffer | undefined;
  if (tlsClientCaFile) {
    clientCa = readPem('TLS_CLIENT_CA_FILE', tlsClientCaFile);
    try {
      new crypto.X509Certificate(clientCa);
    } catch (err) {
      throw new Error(`TLS_CLIENT_CA_FILE ${tlsClientCaFile} is not a PEM certificate bundle: ${(err as Error).message}`);
    }
  }
  return Object.freeze({ cert, key, clientCa });
}

/** The configured TLS files, reloaded when they change (TLS_RELOAD_INTERVAL_MS), for REST and gRPC alike. */
export function tlsReloader(files: TlsFiles, initial: TlsMaterial, intervalMs: number, logger: Logger): CertificateReloader<TlsMaterial> {
  const watched = [files.tlsCertFile, files.tlsKeyFile, files.tlsClientCaFile].filter((f): f is string => f !== undefined);
  const load = (): TlsMaterial => {
    const next = loadTls(files);
    if (!next) throw new Error('TLS files are no longer configured');
    return next;
  };
  return new CertificateReloader({ files: watched, load, intervalMs, what: 'REST and gRPC', logger }, initial);
}

/**
 * gRPC server credentials: insecure without TLS; with TLS, they follow the reloader (a new certificate
 * serves new connections); with a client CA, client certificates are required.
 */
export function grpcServerCredentials(reloader: CertificateReloader<TlsMaterial> | undefined): grpc.ServerCredentials {
  if (!reloader) return grpc.ServerCredentials.createInsecure();
  const provider = new ReloadingCertificateProvider(reloader);
  const requireClient = reloader.current.clientCa !== undefined;
  // grpc-js passes its first argument on as the identity (certificate) provider, the second as the CA provider.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, requireClient ? provider : null, requireClient);
}

/** The REST listener's server: https with the reloader's current pair (following its changes), plain http otherwise. */
export function restServer(listener: http.RequestListener, reloader: CertificateReloader<TlsMaterial> | undefined): http.Server {
  if (!reloader) return http.createServer(listener);
  const options = (m: TlsMaterial): tls.SecureContextOptions => ({ cert: m.cert, key: m.key, minVersion: 'TLSv1.2' });
  const server = https.createServer(options(reloader.current), listener);
  reloader.onChange((m) => server.setSecureContext(options(m)));
  return server;
}

/** Feeds a reloader's material to grpc-js: the certificate pair and, with TLS_CLIENT_CA_FILE, the client CA. */
class ReloadingCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly identity = new Set<grpc.experimental.IdentityCertificateUpdateListener>();
  private readonly ca = new Set<grpc.experimental.CaCertificateUpdateListener>();

  constructor(private readonly reloader: CertificateReloader<TlsMaterial>) {
    reloader.onChange((m) => {
      for (const l of this.identity) l({ certificate: m.cert, privateKey: m.key });
      if (m.clientCa) for (const l of this.ca) l({ caCertificate: m.clientCa });
    });
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identity.add(listener);
    // Deferred: grpc-js registers its server's watcher only after this returns, and would miss a synchronous update.
    queueMicrotask(() => listener({ certificate: this.reloader.current.cert, privateKey: this.reloader.current.key }));
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identity.delete(listener);
  }

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.ca.add(listener);
    const clientCa = this.reloader.current.clientCa;
    if (clientCa) queueMicrotask(() => listener({ caCertificate: clientCa }));
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.ca.delete(listener);
  }
}

function readPem(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`${variable} ${file} cannot be read (${code || (err as Error).message})`);
  }
}
