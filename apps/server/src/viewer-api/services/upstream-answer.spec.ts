import { describe, expect, it } from 'vitest';
import { keepTail, readPrefix, TAIL_BYTES, whyIncomplete } from './upstream-answer';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const multipart = (boundary: string) => new Headers({ 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` });

describe('whyIncomplete', () => {
  it('accepts a multipart answer that ends with its closing boundary (trailing CRLF allowed)', () => {
    expect(whyIncomplete(bytes('--b1\r\n\r\nDICM\r\n--b1--\r\n'), multipart('b1'))).toBeUndefined();
    expect(whyIncomplete(bytes('--b1\r\n\r\nDICM\r\n--b1--'), new Headers({ 'content-type': 'multipart/related; boundary="b1"; type="application/dicom"' }))).toBeUndefined();
  });

  it('names a multipart answer cut before its closing boundary', () => {
    expect(whyIncomplete(bytes('--b1\r\n\r\nDIC'), multipart('b1'))).toMatch(/closing boundary/);
  });

  it('names a body shorter than its Content-Length, unless a Content-Encoding changed the length', () => {
    expect(whyIncomplete(bytes('[]'), new Headers({ 'content-length': '10' }))).toMatch(/2 of the 10 bytes/);
    expect(whyIncomplete(bytes('[]'), new Headers({ 'content-length': '10', 'content-encoding': 'gzip', 'content-type': 'application/dicom+json' }))).toBeUndefined();
  });

  it('names a DICOM JSON answer that stops before its end', () => {
    const json = new Headers({ 'content-type': 'application/dicom+json' });
    expect(whyIncomplete(bytes('[{"0020000D":{"vr":"UI"}}]\n'), json)).toBeUndefined();
    expect(whyIncomplete(bytes('[{"0020000D":{"vr":"U'), json)).toMatch(/JSON/);
  });

  it('checks a streamed answer by its tail and total length', () => {
    expect(whyIncomplete(bytes('...\r\n--b1--'), new Headers({ 'content-length': '5000', 'content-type': 'multipart/related; boundary=b1' }), 5000)).toBeUndefined();
  });
});

describe('keepTail', () => {
  it('keeps the last TAIL_BYTES bytes across chunks', () => {
    let tail: Uint8Array = new Uint8Array(0);
    const all: number[] = [];
    for (let i = 0; i < 100; i++) {
      const chunk = Uint8Array.from({ length: (i * 7) % 13 }, (_, j) => (i + j) % 256);
      all.push(...chunk);
      tail = keepTail(tail, chunk);
    }
    expect([...tail]).toEqual(all.slice(-TAIL_BYTES));
  });
});

describe('readPrefix', () => {
  const streamOf = (chunks: Uint8Array[], thenFail?: Error) => {
    const pending = [...chunks];
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pending.shift();
        if (next) controller.enqueue(next);
        else if (thenFail) controller.error(thenFail);
        else controller.close();
      },
    });
  };

  it('reads a small answer whole', async () => {
    const prefix = await readPrefix(streamOf([bytes('ab'), bytes('cd')]), 10, 1000);
    expect(prefix).toMatchObject({ complete: true, bytes: 4 });
  });

  it('stops past the limit and leaves the rest to the reader', async () => {
    const prefix = await readPrefix(streamOf([bytes('ab'), bytes('cd'), bytes('ef')]), 3, 1000);
    expect(prefix).toMatchObject({ complete: false, bytes: 4 });
    expect(prefix.error).toBeUndefined();
    expect((await prefix.reader.read()).value).toEqual(bytes('ef'));
  });

  it('reports a failure mid-body with the bytes read so far', async () => {
    const prefix = await readPrefix(streamOf([bytes('ab')], new TypeError('terminated')), 10, 1000);
    expect(prefix.complete).toBe(false);
    expect(prefix.bytes).toBe(2);
    expect(String(prefix.error)).toMatch(/terminated/);
  });

  it('gives up on a body that stalls', async () => {
    const stalled = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(bytes('ab')) });
    const prefix = await readPrefix(stalled, 10, 50);
    expect(prefix.error).toMatchObject({ name: 'AnswerStalledError' });
  });
});
