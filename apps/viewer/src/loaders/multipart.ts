/** A multipart/related answer that the viewer cannot take apart (PS3.18 §8.7.3.3 framing). */
export class MultipartError extends Error {
  override name = 'MultipartError';
}

/**
 * Returns the body of the first part of a `multipart/related` message (PS3.18 §8.7.3.3: WADO-RS
 * frames come as one part per frame; we ask for one frame at a time).
 * The returned view shares `bytes`' buffer; callers copy it if they need alignment.
 */
export function firstMultipartPart(bytes: Uint8Array, contentType: string): Uint8Array {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new MultipartError(`Reading a WADO-RS frame failed: no boundary in content type ${contentType}`);
  const delimiter = ascii(`--${match[1]}`);
  const start = indexOf(bytes, delimiter, 0);
  if (start < 0) throw new MultipartError('Reading a WADO-RS frame failed: the opening boundary is missing');
  const headerEnd = indexOf(bytes, ascii('\r\n\r\n'), start + delimiter.length);
  if (headerEnd < 0) throw new MultipartError('Reading a WADO-RS frame failed: the part headers never end');
  const bodyStart = headerEnd + 4;
  const closing = indexOf(bytes, ascii(`\r\n--${match[1]}`), bodyStart);
  if (closing < 0) throw new MultipartError('Reading a WADO-RS frame failed: the closing boundary is missing');
  return bytes.subarray(bodyStart, closing);
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first, from); i >= 0 && i <= last; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
