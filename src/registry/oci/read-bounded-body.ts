/** What exceeding the limit means to the caller: it builds the error (so the message can name the manifest or blob). */
export type TooLarge = (limit: number, declared?: number) => Error;

/**
 * Reads a response body of at most `limit` bytes. A larger Content-Length is refused before reading; a body that
 * grows past the limit is cancelled as soon as it does, so an endless answer costs at most `limit` bytes.
 */
export async function readBoundedBody(response: Response, limit: number, tooLarge: TooLarge): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(limit, declared);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(limit);
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

/** Throws the body away without reading it, so the connection is released. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
