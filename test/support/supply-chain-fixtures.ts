import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { keyIdFor } from '../../src/signing/signature-algorithms';
import type { VerificationKey } from '../../src/signing/verify-attestation';

/** test/fixtures/supply-chain, from dist/test/support or test/support. */
const DIR = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../test/fixtures/supply-chain' : '../fixtures/supply-chain',
);

/** One entry of the fixtures' manifest.json. */
export interface ManifestEntry {
  file: string;
  kind: string;
  expect: 'valid' | 'invalid' | 'valid-signature' | 'n/a';
  reason?: string;
  verifyWith?: string | string[];
  imageDigest?: string;
  dockerReference?: string;
  payload?: string;
  signatureValid?: boolean;
}

/** The manifest: the fixture image and every entry with its expected verdict. */
export const MANIFEST = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as {
  image: { repository: string; digest: string };
  entries: ManifestEntry[];
};

/** A fixture file's exact bytes. */
export function fixtureBytes(file: string): Buffer {
  return fs.readFileSync(path.join(DIR, file));
}

/** A fixture file parsed as JSON. */
export function fixtureJson(file: string): unknown {
  return JSON.parse(fixtureBytes(file).toString('utf8'));
}

/** A fixture public key as a witness key (key id: the ni:/// digest, as Binary Authorization writes it). */
export function fixtureKey(file: string, algorithm?: string): VerificationKey {
  const publicKey = crypto.createPublicKey(fixtureBytes(file));
  return { keyId: keyIdFor(publicKey), publicKey, algorithm, enabled: true };
}

/** The keys an entry names in `verifyWith`. */
export function keysOf(entry: ManifestEntry): VerificationKey[] {
  const files = entry.verifyWith === undefined ? [] : Array.isArray(entry.verifyWith) ? entry.verifyWith : [entry.verifyWith];
  return files.map((f) => fixtureKey(f));
}
