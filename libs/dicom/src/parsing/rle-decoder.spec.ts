import { describe, expect, it } from 'vitest';
import { PixelDecodeError } from '../errors';
import { decodeRleFrame } from './rle-decoder';

/** Builds an RLE frame (PS3.5 G.5): 64-byte header of segment count and offsets, then the segments. */
function rleFrame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += segment.length;
  });
  return Uint8Array.from([...header, ...segments.flat()]);
}

describe('decodeRleFrame', () => {
  it('decodes literal runs, replicate runs and skips the -128 no-op (PS3.5 G.3.1)', () => {
    // 2 literal bytes (header 1), no-op (0x80), 3 copies of 7 (header -2 = 0xFE)
    const frame = rleFrame([[0x01, 10, 20, 0x80, 0xfe, 7]]);
    expect(Array.from(decodeRleFrame(frame, 1, 5, 8))).toEqual([10, 20, 7, 7, 7]);
  });

  it('joins the high-byte and low-byte segments of 16-bit pixels, most significant first (G.2)', () => {
    const frame = rleFrame([
      [0x01, 0xf8, 0x00],
      [0x01, 0x30, 0x01],
    ]);
    const words = decodeRleFrame(frame, 1, 2, 16);
    expect(Array.from(new Int16Array(new Uint16Array(words).buffer))).toEqual([-2000, 1]);
  });

  it('refuses a segment that decodes to fewer bytes than Rows x Columns', () => {
    expect(() => decodeRleFrame(rleFrame([[0x01, 10, 20]]), 2, 2, 8)).toThrow(/segment 0 ends after 2 of 4 bytes/);
  });

  it('refuses a run that would write past the end of the plane', () => {
    expect(() => decodeRleFrame(rleFrame([[0x81, 5]]), 2, 2, 8)).toThrow(/decodes to more than 4 bytes/);
  });

  it('refuses a header whose segment count does not match BitsAllocated', () => {
    expect(() => decodeRleFrame(rleFrame([[0xfd, 1]]), 2, 2, 16)).toThrow(PixelDecodeError);
  });

  it('refuses a segment offset outside the frame', () => {
    const frame = rleFrame([[0xfd, 1]]);
    new DataView(frame.buffer).setUint32(4, 10_000, true);
    expect(() => decodeRleFrame(frame, 2, 2, 8)).toThrow(/offset 10000 is outside the frame/);
  });
});
