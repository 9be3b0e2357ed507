import type { KeySpec } from '../domain/key-specs';

/** Key material as a provider hands it back: a public key and an opaque blob only it can use. */
export interface GeneratedKey {
  readonly publicKeyPem: string;
  /** Opaque to attestd: an encrypted private key (local) or a handle (HSM, cloud KMS). */
  readonly material: Buffer;
  /** Which wrapping key or device the material belongs to. */
  readonly materialKeyId: string;
}

/**
 * Where private keys live and are used. The local provider keeps them encrypted in the database;
 * an HSM (PKCS#11) or cloud KMS provider would keep a handle instead. Private keys never leave it.
 */
export interface KeyProvider {
  /** Creates a key pair for `versionName` ("projects/p/keys/k/versions/1"). */
  generate(spec: KeySpec, versionName: string): Promise<GeneratedKey>;
  /** Signs `data` with the version's private key using a Cloud KMS algorithm name. */
  sign(material: Buffer, materialKeyId: string, versionName: string, algorithm: string, data: Buffer): Promise<Buffer>;
}
