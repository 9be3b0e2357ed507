import jwt from 'jsonwebtoken';

/** The HMAC secret the benchmark server verifies tokens with (a benchmark-only value). */
export const BENCH_JWT_SECRET = 'attestd-bench-secret-0123456789-abcdefghijklmnop';

/** An admin token for the benchmark server, valid for a day. */
export function benchToken(): string {
  return jwt.sign({ roles: { '*': ['admin'] } }, BENCH_JWT_SECRET, {
    algorithm: 'HS256',
    audience: 'attestd',
    subject: 'bench',
    expiresIn: '24h',
  });
}

/** A 256-byte payload and a 64-byte signature, like the transport parity tests (realistic attestation size). */
export const PAYLOAD_B64 = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64');
export const SIGNATURE_B64 = Buffer.from(Array.from({ length: 64 }, (_, i) => 255 - i)).toString('base64');

/** Notes per scale project; occurrence i of image j uses note (i / images) % NOTES. */
export const NOTES = 10;

/** The project holding `scale` seeded occurrences. */
export function scaleProject(scale: number): string {
  return `scale-${scale}`;
}

/** The write benchmarks' project (emptied before each run so that runs are alike). */
export const WRITE_PROJECT = 'bench-write';
export const WRITE_NOTE = 'signed';

/** Image n's resource URI. */
export function imageUri(n: number): string {
  return `https://registry.example.com/bench/app@sha256:${n.toString(16).padStart(64, '0')}`;
}

/** A CreateOccurrence request body (REST JSON; also the gRPC request's occurrence with bytes as base64). */
export function occurrenceRequest(project: string, note: string, uri: string): Record<string, unknown> {
  return {
    noteName: `projects/${project}/notes/${note}`,
    resourceUri: uri,
    attestation: { serializedPayload: PAYLOAD_B64, signatures: [{ signature: SIGNATURE_B64, publicKeyId: 'bench-key' }] },
  };
}

/** Calls attestd's REST API with the benchmark token; throws with the body on an unexpected status. */
export async function rest(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  okStatuses = [200],
): Promise<unknown> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!okStatuses.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates a project and an ATTESTATION note through the API; existing ones are fine. */
export async function ensureProjectAndNote(baseUrl: string, token: string, project: string, note: string): Promise<void> {
  await rest(baseUrl, token, 'POST', '/v1/projects', { name: `projects/${project}` }, [200, 409]);
  await rest(
    baseUrl,
    token,
    'POST',
    `/v1/projects/${project}/notes?noteId=${note}`,
    { attestation: { hint: { humanReadableName: note } } },
    [200, 409],
  );
}
