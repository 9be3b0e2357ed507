import * as protobuf from 'protobufjs';

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * What a string field whose bytes are not valid UTF-8 reads as: a lone surrogate, which no valid UTF-8 decodes
 * to, so the JSON conversion can refuse it naming the field (protobufjs itself would read U+FFFD in its place).
 */
const INVALID_UTF8 = '\udc80';

/** A protobufjs reader that reads string fields strictly (see INVALID_UTF8); everything else as protobufjs does. */
export class StrictUtf8Reader extends protobuf.Reader {
  override string(): string {
    const bytes = this.bytes();
    try {
      return strict.decode(bytes);
    } catch {
      return INVALID_UTF8;
    }
  }
}

/** True when `text` was read from a string field that was not valid UTF-8. */
export function wasInvalidUtf8(text: string): boolean {
  return text === INVALID_UTF8;
}
