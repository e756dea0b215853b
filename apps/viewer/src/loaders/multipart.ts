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
 * all at the end. The bytes land in one growing buffer (consumed bytes are compacted away, capacity
 * doubles when a part outgrows it). Where the body is a byte stream (fetch's in Chromium and Firefox), a
 * BYOB reader has the browser write the network's bytes straight into that buffer: measured in Chromium
 * 156 on a 70 MB series, that halves the renderer's CPU time against a default reader, whose every chunk
 * is a fresh ArrayBuffer copied once more (bench/viewer.bench.ts prints both floors). Other streams are read
 * chunk by chunk and copied in. `onPart` gets a view into that buffer, valid during the call only: a
 * caller that keeps a part copies it (never hand the view on as is, or later reads overwrite it).
 */
export async function readMultipartStream(body: ReadableStream<Uint8Array>, contentType: string, onPart: (part: Uint8Array) => void): Promise<void> {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new MultipartError(`Reading a WADO-RS answer failed: no boundary in content type ${contentType}`);
  const delimiter = ascii(`\r\n--${match[1]}`);
  const headerEnd = ascii('\r\n\r\n');
  const source = intoSinkReader(body);
  // Starts with CR LF so the first boundary matches the same delimiter as the others.
  let buffer = new Uint8Array(INITIAL_CAPACITY);
  buffer.set(ascii('\r\n'));
  let length = 2;
  /** Start of the bytes not consumed yet. */
  let start = 0;
  /** Where the next delimiter search starts (everything before cannot begin one). */
  let scanFrom = 0;
  /** Start of the current part's body, once its headers have been read; -1 before. */
  let bodyStart = -1;
  const sink: Sink = {
    reserve(wanted) {
      makeRoom(wanted);
      return buffer.subarray(length);
    },
    commit(written) {
      buffer = new Uint8Array(written.buffer);
      length += written.byteLength;
    },
  };
  try {
    await readParts();
  } catch (error) {
    // A part the caller refuses (or a read failure) ends the answer: stop downloading it.
    await source.cancel();
    throw error;
  }

  /** Makes room for `wanted` more bytes after `length`: drops the consumed bytes, doubles when that is not enough. */
  function makeRoom(wanted: number): void {
    if (length + wanted <= buffer.length) return;
    const live = length - start;
    const grown = live + wanted > buffer.length / 2 ? new Uint8Array(Math.max(buffer.length * 2, live + wanted)) : buffer;
    grown.set(buffer.subarray(start, length));
    scanFrom -= start;
    if (bodyStart >= 0) bodyStart -= start;
    length = live;
    start = 0;
    buffer = grown;
  }


  async function readParts(): Promise<void> {
    while (await source.readInto(sink)) {
      for (;;) {
        const view = buffer.subarray(0, length);
        if (bodyStart < 0) {
          const boundary = indexOf(view, delimiter, Math.max(start, scanFrom));
          if (boundary < 0) break;
          const afterBoundary = boundary + delimiter.length;
          if (length < afterBoundary + 2) break;
          if (buffer[afterBoundary] === 0x2d && buffer[afterBoundary + 1] === 0x2d) return void (await source.cancel());
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

/** Room for a few 512² 16-bit instances, so a CT series rarely needs the buffer to grow. */
const INITIAL_CAPACITY = 4 << 20;
/**
 * The least free space offered to one BYOB read. Chromium's fetch hands over at most what its 2 MiB
 * data pipe holds; a smaller view only means more reads, a larger one more compaction.
 */
const BYOB_READ = 1 << 20;

/** Where a reader puts the bytes it reads: the free space after the unread bytes, then what it wrote there. */
interface Sink {
  /** Free space for at least `wanted` bytes (the buffer may be compacted or replaced first). */
  reserve(wanted: number): Uint8Array<ArrayBuffer>;
  /** `written` lies at the start of the reserved space, on the buffer that now holds it (a BYOB read transfers the buffer). */
  commit(written: Uint8Array<ArrayBuffer>): void;
}

interface IntoSinkReader {
  /** Reads the next bytes into the sink; false at the end of the body. */
  readInto(sink: Sink): Promise<boolean>;
  cancel(): Promise<void>;
}

function intoSinkReader(body: ReadableStream<Uint8Array>): IntoSinkReader {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    byob = undefined; // not a byte stream: each chunk is copied in
  }
  if (byob) {
    const reader = byob;
    return {
      async readInto(sink) {
        const { done, value } = await reader.read(sink.reserve(BYOB_READ));
        if (done || !value) return false;
        sink.commit(value);
        return true;
      },
      cancel: () => reader.cancel().catch(() => undefined),
    };
  }
  const reader = body.getReader();
  return {
    async readInto(sink) {
      const { done, value } = await reader.read();
      if (done) return false;
      const space = sink.reserve(value.length);
      space.set(value);
      sink.commit(space.subarray(0, value.length));
      return true;
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}
