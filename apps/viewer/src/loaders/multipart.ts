import { byteSource, type Sink } from './byte-source';

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
 * A range of a part's body that the caller takes straight into a buffer of its own (see
 * {@link readMultipartStream}'s `claim`): where the body is a byte stream, the network's bytes are
 * written into `into` directly, never copied through the reader's buffer and never searched for the
 * boundary. Whoever claims a range knows its length from the part's own framing (a DICOM element's
 * length) and checks in `done` that the part really ended where that framing says.
 */
export interface BodyClaim {
  /** Offset in the part's body where the range starts; the claimer has seen every byte before it. */
  at: number;
  /** Where the range goes (its length is the range's); the caller's buffer, detached once read into. */
  into: Uint8Array<ArrayBuffer>;
  /**
   * The part has ended: `filled` holds the range (on the buffer that now holds it), `rest` the part's
   * bytes after the range, a view valid during the call only. Throwing ends the answer.
   */
  done(filled: Uint8Array<ArrayBuffer>, rest: Uint8Array): void;
}

/**
 * Looks at the start of a part's body: claims a range of it, asks for more of it (`'more'`), or leaves
 * the part to `onPart` (undefined).
 */
export type PartClaimer = (head: Uint8Array) => BodyClaim | 'more' | undefined;

/**
 * Reads a streamed `multipart/related` body (PS3.18 §8.7.3.3) and hands each part's body to `onPart` as
 * soon as its closing boundary arrives, so a series retrieve delivers instance after instance rather than
 * all at the end. The bytes land in one growing buffer (consumed bytes are compacted away, capacity
 * doubles when a part outgrows it), through a BYOB reader where the body is a byte stream (byte-source.ts).
 * `onPart` gets a view into that buffer, valid during the call only: a caller that keeps a part copies it
 * (never hand the view on as is, or later reads overwrite it). A `claim`er may take a range of a part
 * straight into its own buffer instead (see BodyClaim); `onPart` is not called for that part.
 */
export async function readMultipartStream(body: ReadableStream<Uint8Array>, contentType: string, onPart: (part: Uint8Array) => void, claim?: PartClaimer): Promise<void> {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new MultipartError(`Reading a WADO-RS answer failed: no boundary in content type ${contentType}`);
  const delimiter = ascii(`\r\n--${match[1]}`);
  const headerEnd = ascii('\r\n\r\n');
  const source = byteSource(body);
  // Starts with CR LF so the first boundary matches the same delimiter as the others.
  let buffer = new Uint8Array(INITIAL_CAPACITY);
  buffer.set(ascii('\r\n'));
  let length = 2;
  /** Start of the bytes not consumed yet. */
  let start = 0;
  /** Where the next delimiter search starts (everything before cannot begin one). */
  let scanFrom = 0;
  /** Start of the current part's body (or of its rest after a claimed range), once its headers have been read; -1 before. */
  let bodyStart = -1;
  /** The current part's claimed range, once read. */
  let claimed: { claim: BodyClaim; filled: Uint8Array<ArrayBuffer> } | undefined;
  /** The current part was offered to `claim` and left to `onPart`. */
  let declined = false;
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

  /**
   * Reads more: small reads while a claimer may want the coming bytes in its own buffer (the rest of a
   * claimed part is small too, and the next part's body follows it), else as much as arrives.
   */
  async function readMore(): Promise<boolean> {
    const small = claim !== undefined && !declined;
    return source.readInto(sink, small ? HEAD_READ : BYOB_READ, small ? HEAD_READ : Infinity);
  }

  async function readParts(): Promise<void> {
    for (;;) {
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
        if (closing < 0 && claim && !declined && !claimed) {
          const wanted = claim(buffer.subarray(bodyStart, length));
          if (wanted === 'more' && length - bodyStart < CLAIM_LOOKAHEAD) break;
          if (wanted !== undefined && wanted !== 'more') {
            await takeClaim(wanted);
            continue;
          }
          declined = true;
        }
        if (closing < 0) {
          scanFrom = Math.max(bodyStart, length - delimiter.length);
          break;
        }
        const part = buffer.subarray(bodyStart, closing);
        if (claimed) claimed.claim.done(claimed.filled, part);
        else onPart(part);
        start = closing;
        scanFrom = closing;
        bodyStart = -1;
        claimed = undefined;
        declined = false;
      }
      if (!(await readMore())) break;
    }
    throw new MultipartError('Reading a WADO-RS answer failed: the closing boundary is missing');
  }

  /** Moves the claimed range's bytes already read into the claimer's buffer, reads the rest straight into it. */
  async function takeClaim(wanted: BodyClaim): Promise<void> {
    const rangeStart = bodyStart + wanted.at;
    if (wanted.at < 0 || rangeStart > length) throw new MultipartError(`Reading a WADO-RS answer failed: a claim starts past the bytes read`);
    // Read before the buffer is detached (a detached view reports offset and length 0).
    const { byteOffset, length: size } = wanted.into;
    const present = Math.min(length - rangeStart, size);
    wanted.into.set(buffer.subarray(rangeStart, rangeStart + present));
    let filled: Uint8Array<ArrayBuffer> | undefined = wanted.into;
    if (present < size) {
      // Everything read so far is in the claimer's buffer: the reader's buffer is empty again.
      start = length;
      const rest = await source.fill(wanted.into.subarray(present), sink);
      if (!rest) throw new MultipartError('Reading a WADO-RS answer failed: the closing boundary is missing');
      filled = new Uint8Array(rest.buffer, byteOffset, size);
      bodyStart = start;
    } else {
      bodyStart = rangeStart + present;
      start = bodyStart;
    }
    scanFrom = bodyStart;
    claimed = { claim: wanted, filled };
  }
}

/** Room for a few 512² 16-bit instances, so a CT series rarely needs the buffer to grow. */
const INITIAL_CAPACITY = 4 << 20;
/**
 * The least free space offered to one BYOB read. Chromium's fetch hands over at most what its 2 MiB
 * data pipe holds; a smaller view only means more reads, a larger one more compaction.
 */
const BYOB_READ = 1 << 20;
/**
 * The most one read takes while a claimer may still take the coming bytes (a part's headers and the start
 * of its body): what it reads past the claimed range's start is copied once into the claimer's buffer.
 */
const HEAD_READ = 64 << 10;
/** A claimer that still wants more after this much of a part's body gets the part whole instead. */
const CLAIM_LOOKAHEAD = 1 << 20;
