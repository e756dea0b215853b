/** Deepest JSON nesting (arrays and objects) a request body may have; no DTO of ours nests past 8. */
export const MAX_JSON_DEPTH = 64;

/**
 * Returns the nesting depth of a JSON text, counting brackets and braces outside strings, and stops
 * at `limit + 1`. Linear and allocation-free, so it runs before JSON.parse: a body of 45,000 nested
 * arrays parses fine but makes the validation that walks it overflow the stack (RangeError, once a 500).
 * `bytes` is UTF-8; every byte that matters here is ASCII, and multi-byte characters never contain them.
 */
export function jsonDepth(bytes: Uint8Array, limit: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return deepest;
}
