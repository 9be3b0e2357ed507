import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';

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

/** gRPC server credentials: insecure without TLS; with a client CA, client certificates are required. */
export function grpcServerCredentials(material: TlsMaterial | undefined): grpc.ServerCredentials {
  if (!material) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    material.clientCa ?? null,
    [{ cert_chain: material.cert, private_key: material.key }],
    material.clientCa !== undefined,
  );
}

/** The REST listener's server: https with the configured pair, plain http otherwise. */
export function restServer(listener: http.RequestListener, material: TlsMaterial | undefined): http.Server {
  if (!material) return http.createServer(listener);
  return https.createServer({ cert: material.cert, key: material.key, minVersion: 'TLSv1.2' }, listener);
}

function readPem(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`${variable} ${file} cannot be read (${code || (err as Error).message})`);
  }
}
