import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSliceRuns, encodeSliceRuns } from './mask-rle';

describe('the overlay run-length codec', () => {
  it('round-trips any 0/1 slice exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ min: 0, max: 1, minLength: 1, maxLength: 300 }), (mask) => {
        const encoded = encodeSliceRuns(mask, 0, mask.length);
        if (mask.every((v) => v === 0)) expect(encoded).toBeUndefined();
        else expect(Array.from(decodeSliceRuns(encoded!, mask.length))).toEqual(Array.from(mask));
      }),
    );
  });

  it('encodes only the requested slice of a slice-major labelmap', () => {
    const labelmap = new Uint8Array([1, 1, 0, 0, /* slice 1 */ 0, 1, 1, 0]);
    expect(Array.from(decodeSliceRuns(encodeSliceRuns(labelmap, 4, 4)!, 4))).toEqual([0, 1, 1, 0]);
  });

  it('starts with an empty background run when the first pixel is foreground', () => {
    const runs = Buffer.from(encodeSliceRuns(new Uint8Array([1, 0, 0]), 0, 3)!, 'base64');
    expect([runs.readUInt32LE(0), runs.readUInt32LE(4), runs.readUInt32LE(8)]).toEqual([0, 1, 2]);
  });
});
