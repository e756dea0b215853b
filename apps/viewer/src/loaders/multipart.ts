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

/**
 * Reads a streamed `multipart/related` body (PS3.18 §8.7.3.3) and hands each part's body to `onPart` as
 * soon as its closing boundary arrives, so a series retrieve delivers instance after instance rather than
 * all at the end. Each part owns its own buffer.
 */
export async function readMultipartStream(body: ReadableStream<Uint8Array>, contentType: string, onPart: (part: Uint8Array) => void): Promise<void> {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new MultipartError(`Reading a WADO-RS answer failed: no boundary in content type ${contentType}`);
  const delimiter = ascii(`\r\n--${match[1]}`);
  const headerEnd = ascii('\r\n\r\n');
  const reader = body.getReader();
  // Prefix CRLF so the first boundary matches the same delimiter as the others.
  let buffer: Uint8Array = new Uint8Array(ascii('\r\n'));
  let scanFrom = 0;
  /** Where the current part's body starts, once its headers have been read. */
  let bodyStart = -1;
  let done = false;
  while (!done) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      const grown = new Uint8Array(buffer.length + next.value.length);
      grown.set(buffer);
      grown.set(next.value, buffer.length);
      buffer = grown;
    }
    for (;;) {
      if (bodyStart < 0) {
        const boundary = indexOf(buffer, delimiter, scanFrom);
        if (boundary < 0) break;
        const afterBoundary = boundary + delimiter.length;
        if (buffer.length < afterBoundary + 2) break;
        if (buffer[afterBoundary] === 0x2d && buffer[afterBoundary + 1] === 0x2d) return void (await reader.cancel());
        const headersEnd = indexOf(buffer, headerEnd, afterBoundary);
        if (headersEnd < 0) break;
        buffer = buffer.slice(headersEnd + 4);
        bodyStart = 0;
        scanFrom = 0;
      }
      const closing = indexOf(buffer, delimiter, scanFrom);
      if (closing < 0) {
        scanFrom = Math.max(0, buffer.length - delimiter.length);
        break;
      }
      onPart(buffer.slice(0, closing));
      buffer = buffer.slice(closing);
      bodyStart = -1;
      scanFrom = 0;
    }
  }
  throw new MultipartError('Reading a WADO-RS answer failed: the closing boundary is missing');
}
