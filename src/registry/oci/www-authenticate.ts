/** One authentication challenge from a `WWW-Authenticate` header: the scheme in lower case and its parameters (names in lower case). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Longest header looked at; a registry sending more is not making a challenge anyone can meet. */
const MAX_HEADER_LENGTH = 8192;
const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses `WWW-Authenticate` (RFC 9110: `Bearer realm="…",service="…",scope="…"`, several challenges allowed); never throws. */
export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge[] {
  const text = (header ?? '').slice(0, MAX_HEADER_LENGTH);
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const skip = (chars: string): void => {
    while (i < text.length && chars.includes(text[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && TOKEN.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  // Unquoted values should be tokens; registries write URLs unquoted too, so read up to "," or space.
  const bare = (): string => {
    const start = i;
    while (i < text.length && !', \t'.includes(text[i]!)) i++;
    return text.slice(start, i);
  };
  const quoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i];
      i++;
    }
    i++; // closing quote (or end)
    return value;
  };
  let current: AuthChallenge | undefined;
  while (i < text.length) {
    skip(' \t,');
    if (i >= text.length) break;
    const start = i;
    const name = token();
    if (name === '') {
      i++; // a stray character: step over it
      continue;
    }
    skip(' \t');
    const isParam = current !== undefined && text[i] === '=' && text[i + 1] !== '=';
    if (isParam) {
      i++;
      skip(' \t');
      const value = text[i] === '"' ? quoted() : bare();
      current!.params[name.toLowerCase()] = value;
      continue;
    }
    if (current !== undefined && text[i] === '=') {
      // token68 (`Negotiate abc==`): not a parameter; step over its padding.
      skip('=');
      continue;
    }
    i = start + name.length;
    current = { scheme: name.toLowerCase(), params: {} };
    challenges.push(current);
  }
  return challenges;
}
