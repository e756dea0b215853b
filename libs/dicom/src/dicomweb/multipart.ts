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
  let boundary = newBoundary();
  while (parts.some((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength).includes(boundary))) boundary = newBoundary();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${partContentType}\r\n\r\n`, 'latin1'), part, CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, contentType: `multipart/related; type="${partContentType}"; boundary=${boundary}` };
}

function newBoundary(): string {
  return `covseg-${globalThis.crypto.randomUUID()}`;
}
