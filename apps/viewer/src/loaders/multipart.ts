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
 * all at the end. Chunks are appended to one growing buffer (capacity doubles, consumed bytes are
 * compacted away), so each byte is copied about twice whatever the chunking. `onPart` gets a view into that
 * buffer, valid during the call only: a caller that keeps a part copies it (never hand the view on as is,
 * or later chunks overwrite it).
 */
export async function readMultipartStream(body: ReadableStream<Uint8Array>, contentType: string, onPart: (part: Uint8Array) => void): Promise<void> {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new MultipartError(`Reading a WADO-RS answer failed: no boundary in content type ${contentType}`);
  const delimiter = ascii(`\r\n--${match[1]}`);
  const headerEnd = ascii('\r\n\r\n');
  const reader = body.getReader();
  // Starts with CR LF so the first boundary matches the same delimiter as the others.
  let buffer = new Uint8Array(1 << 20);
  buffer.set(ascii('\r\n'));
  let length = 2;
  /** Start of the bytes not consumed yet. */
  let start = 0;
  /** Where the next delimiter search starts (everything before cannot begin one). */
  let scanFrom = 0;
  /** Start of the current part's body, once its headers have been read; -1 before. */
  let bodyStart = -1;
  try {
    await readParts();
  } catch (error) {
    // A part the caller refuses (or a read failure) ends the answer: stop downloading it.
    await reader.cancel().catch(() => undefined);
    throw error;
  }

  async function readParts(): Promise<void> {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      const chunk = next.value;
      if (length + chunk.length > buffer.length) {
        const live = length - start;
        const grown = live + chunk.length > buffer.length / 2 ? new Uint8Array(Math.max(buffer.length * 2, live + chunk.length)) : buffer;
        grown.set(buffer.subarray(start, length));
        scanFrom -= start;
        if (bodyStart >= 0) bodyStart -= start;
        length = live;
        start = 0;
        buffer = grown;
      }
      buffer.set(chunk, length);
      length += chunk.length;
      for (;;) {
        const view = buffer.subarray(0, length);
        if (bodyStart < 0) {
          const boundary = indexOf(view, delimiter, Math.max(start, scanFrom));
          if (boundary < 0) break;
          const afterBoundary = boundary + delimiter.length;
          if (length < afterBoundary + 2) break;
          if (buffer[afterBoundary] === 0x2d && buffer[afterBoundary + 1] === 0x2d) return void (await reader.cancel());
          const headersEnd = indexOf(view, headerEnd, afterBoundary);
          if (headersEnd < 0) break;
          bodyStart = headersEnd + 4;
          scanFrom = bodyStart;
        }
        const closing = indexOf(view, delimiter, scanFrom);
        if (closing < 0) {
          scanFrom = Math.max(bodyStart, length - delimiter.length);
          break;
        }
        onPart(buffer.subarray(bodyStart, closing));
        start = closing;
        scanFrom = closing;
        bodyStart = -1;
      }
    }
    throw new MultipartError('Reading a WADO-RS answer failed: the closing boundary is missing');
  }
}
