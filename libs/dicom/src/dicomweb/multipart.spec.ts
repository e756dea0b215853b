import { describe, expect, it } from 'vitest';

import { DicomwebResponseError } from './dicomweb-errors';
import { buildMultipart, getMultipartBoundary, MultipartStreamParser, parseMultipart } from './multipart';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

describe('multipart/related', () => {
  it('reads a quoted or bare boundary from the Content-Type', () => {
    expect(getMultipartBoundary('multipart/related; type="application/dicom"; boundary="abc def"')).toBe('abc def');
    expect(getMultipartBoundary('Multipart/Related;boundary=xyz;type=application/dicom')).toBe('xyz');
    expect(getMultipartBoundary('application/dicom')).toBeUndefined();
  });

  it('splits a body into parts whose contents keep CRLF and dashes that are not delimiters', () => {
    const body = bytes('preamble\r\n--b1\r\nContent-Type: application/dicom\r\n\r\nA\r\n--b\r\n-b1\r\n--b1\r\nContent-Type: x/y\r\nX-Other: 1\r\n\r\n\r\n--b1--\r\n');
    const parts = parseMultipart(body, 'b1');
    expect(parts.map((p) => Buffer.from(p.body).toString('latin1'))).toEqual(['A\r\n--b\r\n-b1', '']);
    expect(parts[1].headers).toEqual({ 'content-type': 'x/y', 'x-other': '1' });
  });

  it('returns views into the message rather than copies', () => {
    const body = bytes('--q\r\n\r\nHELLO\r\n--q--');
    const [part] = parseMultipart(body, 'q');
    expect(part.body.buffer).toBe(body.buffer);
    expect(Buffer.from(part.body).toString()).toBe('HELLO');
  });

  it('round-trips binary parts through build and parse', () => {
    const parts = [new Uint8Array(1000).map((_, i) => (i * 37) % 256), new Uint8Array([0x0d, 0x0a, 0x2d, 0x2d]), new Uint8Array(0)];
    const { body, contentType } = buildMultipart(parts, 'application/dicom');
    const parsed = parseMultipart(body, getMultipartBoundary(contentType)!);
    expect(parsed.map((p) => Array.from(p.body))).toEqual(parts.map((p) => Array.from(p)));
    expect(parsed.every((p) => p.headers['content-type'] === 'application/dicom')).toBe(true);
  });

  it('rejects a body that is cut off before the closing delimiter', () => {
    expect(() => parseMultipart(bytes('--q\r\nContent-Type: a/b\r\n\r\nHEL'), 'q')).toThrow(DicomwebResponseError);
    expect(() => parseMultipart(bytes('no delimiter at all'), 'q')).toThrow(/no delimiter --q/);
  });

  // What keeps a 70 MB series fast: the parts are views into the message, never copies. (Speed itself
  // is measured by bench/; a wall-clock bound here failed at load 18 on the shared 2-core VM.)
  it('splits a 70 MB message of 133 parts into views of the message, without copying', () => {
    const parts = Array.from({ length: 133 }, () => new Uint8Array(526_000).fill(7));
    const { body, contentType } = buildMultipart(parts, 'application/dicom');
    const parsed = parseMultipart(body, getMultipartBoundary(contentType)!);
    expect(parsed.every((p) => p.body.buffer === body.buffer)).toBe(true);
    expect(parsed).toHaveLength(133);
    expect(parsed.every((p) => p.body.byteLength === 526_000)).toBe(true);
  });

  it('splits a streamed body into the same parts as the whole body, whatever the chunk sizes', () => {
    const body = bytes('preamble\r\n--b1\r\nContent-Type: application/dicom\r\n\r\nA\r\n--b\r\n-b1\r\n--b1\r\nContent-Type: x/y\r\nX-Other: 1\r\n\r\n\r\n--b1\r\n\r\nno headers\r\n--b1--\r\n');
    const whole = parseMultipart(body, 'b1').map((p) => Buffer.from(p.body).toString('latin1'));
    for (const size of [1, 2, 3, 5, 7, 13, 64, body.length]) {
      const parser = new MultipartStreamParser('b1');
      const streamed: string[] = [];
      for (let at = 0; at < body.length; at += size) streamed.push(...parser.push(body.subarray(at, at + size)).map((p) => Buffer.from(p).toString('latin1')));
      parser.end();
      expect(streamed, `chunks of ${size} bytes`).toEqual(whole);
    }
  });

  it('hands out each streamed part in its own buffer, and copes with parts larger than its initial buffer', () => {
    const big = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 0xff);
    const { body, contentType } = buildMultipart([big, bytes('small')], 'application/dicom');
    const parser = new MultipartStreamParser(getMultipartBoundary(contentType)!);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < body.length; at += 65536) parts.push(...parser.push(body.subarray(at, at + 65536)));
    parser.end();
    expect(parts.map((p) => [p.byteOffset, p.byteLength, p.buffer.byteLength])).toEqual([
      [0, big.length, big.length],
      [0, 5, 5],
    ]);
    expect(Buffer.compare(Buffer.from(parts[0]!), Buffer.from(big))).toBe(0);
  });

  it('refuses a streamed body that ends before its closing delimiter', () => {
    const parser = new MultipartStreamParser('b1');
    expect(parser.push(bytes('--b1\r\n\r\nA\r\n--b1\r\n\r\nB'))).toHaveLength(1);
    expect(() => parser.end()).toThrow(DicomwebResponseError);
  });
});
