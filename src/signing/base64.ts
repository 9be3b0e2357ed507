const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Strict base64: standard or URL-safe alphabet, padding optional (as DSSE and proto3 JSON allow); undefined when
 * malformed or longer than `maxChars`.
 */
export function decodeBase64(text: string, maxChars = Number.MAX_SAFE_INTEGER): Buffer | undefined {
  if (text.length > maxChars || !BASE64.test(text)) return undefined;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1 || (bare.length !== text.length && text.length % 4 !== 0)) return undefined;
  return Buffer.from(bare.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
