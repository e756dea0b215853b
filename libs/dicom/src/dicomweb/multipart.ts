import { DicomwebResponseError } from './dicomweb-errors';

/** One body part of a multipart/related message. */
export interface MultipartPart {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** A view into the message buffer (no copy): it keeps the whole message alive while referenced. */
  body: Uint8Array;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Reads the `boundary` parameter of a multipart Content-Type (RFC 2046 5.1.1), quoted or not.
 * Returns undefined when the header is not multipart or has no boundary.
 */
export function getMultipartBoundary(contentType: string | null | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * Whether a multipart body ends with its closing delimiter `--boundary--` (RFC 2046 §5.1.1), trailing white
 * space allowed; `body` may be the whole body or only its last bytes. Undefined when `contentType` is not
 * multipart with a boundary, so there is nothing to check. Node's fetch ends a chunked body cut by a closing
 * connection without an error: a missing closing delimiter is how such a cut shows.
 */
export function endsWithClosingDelimiter(body: Uint8Array, contentType: string | null | undefined): boolean | undefined {
  const boundary = getMultipartBoundary(contentType);
  if (!boundary) return undefined;
  let end = body.length;
  while (end > 0 && (body[end - 1] === 0x0a || body[end - 1] === 0x0d || body[end - 1] === 0x20 || body[end - 1] === 0x09)) end -= 1;
  const delimiter = Buffer.from(`--${boundary}--`, 'latin1');
  return end >= delimiter.length && Buffer.compare(Buffer.from(body.buffer, body.byteOffset + end - delimiter.length, delimiter.length), delimiter) === 0;
}

/**
 * Splits a multipart/related body (RFC 2387, as used by WADO-RS, PS3.18 8.6.1.2) into its parts.
 *
 * Works on the raw bytes with `Buffer.indexOf` (a native search), so a 70 MB series splits in
 * milliseconds and the part bodies are zero-copy views into `body`. Never decode the body as a
 * string to split it: DICOM bytes are binary and any text decoding corrupts them.
 *
 * @param body the whole message; the returned part bodies share its memory.
 * @param boundary the boundary from the Content-Type header, without the leading `--`.
 * @throws DicomwebResponseError when the opening delimiter, a part's header block or the closing
 *   delimiter is missing.
 */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  // Inside the body every delimiter after the first is preceded by CRLF, which belongs to the
  // delimiter and not to the previous part's content (RFC 2046 5.1.1).
  const innerDelimiter = Buffer.concat([CRLF, delimiter]);

  let position = buffer.indexOf(delimiter);
  if (position < 0) throw new DicomwebResponseError(`multipart body has no delimiter --${boundary}`);
  const parts: MultipartPart[] = [];
  position += delimiter.length;
  for (;;) {
    // After a delimiter: `--` closes the message, otherwise optional whitespace then CRLF.
    if (buffer[position] === 0x2d && buffer[position + 1] === 0x2d) return parts;
    const lineEnd = buffer.indexOf(CRLF, position);
    if (lineEnd < 0) throw new DicomwebResponseError('multipart body ends after a delimiter without a closing --');
    const headerStart = lineEnd + 2;
    let headerEnd: number;
    let contentStart: number;
    if (buffer[headerStart] === 0x0d && buffer[headerStart + 1] === 0x0a) {
      // A part without headers: the blank line follows the delimiter line directly.
      headerEnd = headerStart;
      contentStart = headerStart + 2;
    } else {
      headerEnd = buffer.indexOf(HEADER_END, headerStart);
      if (headerEnd < 0) throw new DicomwebResponseError(`multipart part ${parts.length + 1} has no end of headers`);
      contentStart = headerEnd + 4;
    }
    const next = buffer.indexOf(innerDelimiter, contentStart);
    if (next < 0) throw new DicomwebResponseError(`multipart part ${parts.length + 1} has no closing delimiter --${boundary}`);
    parts.push({ headers: parseHeaders(buffer.toString('latin1', headerStart, headerEnd)), body: body.subarray(contentStart, next) });
    position = next + innerDelimiter.length;
  }
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Builds a multipart/related body (as STOW-RS sends it, PS3.18 10.5.1.1) from parts that share one
 * Content-Type. The boundary is random, and checked against the content so it cannot occur inside a part.
 *
 * @returns the body (a new buffer) and the Content-Type header value to send with it.
 */
export function buildMultipart(parts: Uint8Array[], partContentType: string): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  const { chunks, byteLength, contentType } = multipartChunks(parts, partContentType);
  const body = new Uint8Array(byteLength);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, contentType };
}

/**
 * buildMultipart's body as the chunks to send one after the other (delimiters, headers and the parts
 * themselves, not copied), with their total length: a 40 MB SEG is then never joined into a second buffer.
 */
export function multipartChunks(parts: readonly Uint8Array[], partContentType: string): { chunks: Uint8Array[]; byteLength: number; contentType: string } {
  let boundary = newBoundary();
  while (parts.some((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength).includes(boundary))) boundary = newBoundary();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${partContentType}\r\n\r\n`, 'latin1'), part, CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { chunks, byteLength: chunks.reduce((n, c) => n + c.byteLength, 0), contentType: `multipart/related; type="${partContentType}"; boundary=${boundary}` };
}

function newBoundary(): string {
  return `covseg-${globalThis.crypto.randomUUID()}`;
}

/**
 * Splits a multipart/related body (RFC 2046 5.1.1) while it arrives: `push` each chunk and get the
 * bodies of the parts completed by it; `end` checks that the closing delimiter came. Each part body
 * is a copy of exactly its bytes (its own ArrayBuffer, offset 0), so a consumer may keep or transfer
 * it while the next parts stream in; the parser holds at most one part and a chunk.
 */
export class MultipartStreamParser {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private length = 0;
  private state: 'preamble' | 'delimiter' | 'headers' | 'body' | 'done' = 'preamble';
  private contentStart = 0;
  private searchFrom = 0;
  private readonly delimiter: Buffer;
  private readonly innerDelimiter: Buffer;
  private parts = 0;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`--${boundary}`);
    this.innerDelimiter = Buffer.concat([CRLF, this.delimiter]);
  }

  /** Parts completed: count so far. */
  get completed(): number {
    return this.parts;
  }

  /** @throws DicomwebResponseError when a part's headers never end within a part's worth of bytes. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.state === 'done') return [];
    this.append(chunk);
    const out: Uint8Array[] = [];
    const view = () => this.buffer.subarray(0, this.length);
    for (;;) {
      if (this.state === 'preamble') {
        const at = view().indexOf(this.delimiter);
        if (at < 0) {
          this.drop(Math.max(0, this.length - this.delimiter.length + 1));
          return out;
        }
        this.drop(at + this.delimiter.length);
        this.state = 'delimiter';
      }
      if (this.state === 'delimiter') {
        if (this.length < 2) return out;
        if (this.buffer[0] === 0x2d && this.buffer[1] === 0x2d) {
          this.state = 'done';
          return out;
        }
        const lineEnd = view().indexOf(CRLF);
        if (lineEnd < 0) return out;
        this.drop(lineEnd + 2);
        this.state = 'headers';
      }
      if (this.state === 'headers') {
        if (this.length < 2) return out;
        if (this.buffer[0] === 0x0d && this.buffer[1] === 0x0a) this.contentStart = 2;
        else {
          const end = view().indexOf(HEADER_END);
          if (end < 0) return out;
          this.contentStart = end + 4;
        }
        this.searchFrom = this.contentStart;
        this.state = 'body';
      }
      if (this.state === 'body') {
        const next = view().indexOf(this.innerDelimiter, this.searchFrom);
        if (next < 0) {
          this.searchFrom = Math.max(this.contentStart, this.length - this.innerDelimiter.length + 1);
          return out;
        }
        out.push(new Uint8Array(this.buffer.subarray(this.contentStart, next)));
        this.parts += 1;
        this.drop(next + this.innerDelimiter.length);
        this.state = 'delimiter';
      }
    }
  }

  /** @throws DicomwebResponseError when the body ended before its closing delimiter. */
  end(): void {
    if (this.state !== 'done') {
      throw new DicomwebResponseError(`multipart body ended after ${this.parts} part(s) without its closing delimiter ${this.delimiter.toString('latin1')}--`);
    }
  }

  private append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + chunk.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Forgets the first `count` bytes. */
  private drop(count: number): void {
    this.buffer.copy(this.buffer, 0, count, this.length);
    this.length -= count;
  }
}
