import { invalidArgument } from './api-error';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as text, refusing invalid UTF-8 with INVALID_ARGUMENT (`what` names them) instead of storing U+FFFD in
 * place of what the client sent. The message gives the offset of the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw invalidArgument(`${what} is not valid UTF-8 (first invalid byte at offset ${firstInvalid(bytes)}); send UTF-8 text`);
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalid(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix, by bisection over where decoding still succeeds (a cut sequence at the end aside).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}
