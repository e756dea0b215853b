import { describe, expect, it } from 'vitest';
import { firstMultipartPart, MultipartError } from './multipart';

const encoder = new TextEncoder();

function message(boundary: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(`--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n`);
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const bytes = new Uint8Array(head.length + body.length + tail.length);
  bytes.set(head);
  bytes.set(body, head.length);
  bytes.set(tail, head.length + body.length);
  return bytes;
}

describe('reading the first part of a WADO-RS multipart answer', () => {
  it('returns exactly the part body, even when it contains CR LF and dashes', () => {
    const body = Uint8Array.from([0x0d, 0x0a, 0x2d, 0x2d, 0, 255, 7, 0x0d, 0x0a]);
    const part = firstMultipartPart(message('abc-123', body), 'multipart/related; type="application/octet-stream"; boundary=abc-123');
    expect(Array.from(part)).toEqual(Array.from(body));
  });

  it('reads a quoted boundary parameter', () => {
    const part = firstMultipartPart(message('q b', Uint8Array.of(1, 2, 3)), 'multipart/related; boundary="q b"; type="application/octet-stream"');
    expect(Array.from(part)).toEqual([1, 2, 3]);
  });

  it('refuses an answer without a boundary or without its closing delimiter', () => {
    expect(() => firstMultipartPart(Uint8Array.of(1), 'multipart/related')).toThrow(MultipartError);
    const truncated = message('b', Uint8Array.of(1, 2)).slice(0, -8);
    expect(() => firstMultipartPart(truncated, 'multipart/related; boundary=b')).toThrow(/closing boundary/);
  });
});
