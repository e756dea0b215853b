import { describe, expect, it } from 'vitest';

import { packBitsInto, packEqualsInto, packNonZeroInto, packedByteLength, unpackBits } from './bits';

const random = (n: number, seed: number) => {
  let s = seed;
  return Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 1);
};

describe('1-bit packing', () => {
  it('puts the first pixel in the least significant bit (PS3.5 8.1.1)', () => {
    const packed = new Uint8Array(2);
    packBitsInto(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1, 0, 1), packed, 0);
    expect(Array.from(packed)).toEqual([0b10000001, 0b10]);
  });

  it('runs frames on across byte boundaries without padding', () => {
    // Two 3x3 frames: the second starts at bit 9, in the middle of byte 1.
    const packed = new Uint8Array(packedByteLength(18));
    packBitsInto(Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1), packed, 0);
    packBitsInto(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 1), packed, 9);
    expect(Array.from(packed)).toEqual([0xff, 0b00000011, 0b00000010, 0]);
  });

  it('unpacks exactly what it packed at any bit offset', () => {
    for (const offset of [0, 1, 7, 8, 13]) {
      const values = random(1001, offset + 1);
      const packed = new Uint8Array(packedByteLength(offset + values.length));
      expect(packBitsInto(values, packed, offset)).toBe(-1);
      const out = new Uint8Array(values.length);
      unpackBits(packed, offset, values.length, out, 0);
      expect(out).toEqual(values);
    }
  });

  it('packs every non-zero byte value as 1 with packNonZeroInto, on the word path and bit by bit', () => {
    // Every byte value 0..255 at every position of a word, then a 3-voxel tail.
    const values = Uint8Array.from({ length: 4 * 256 + 3 }, (_, i) => (i * 7) & 0xff);
    const expected = Uint8Array.from(values, (v) => (v === 0 ? 0 : 1));
    for (const offset of [0, 3, 8]) {
      const packed = new Uint8Array(packedByteLength(offset + values.length));
      packNonZeroInto(values, packed, offset);
      const reference = new Uint8Array(packed.length);
      expect(packBitsInto(expected, reference, offset)).toBe(-1);
      expect(packed).toEqual(reference);
    }
  });

  it('packs the same bits on the word-at-a-time path as bit by bit', () => {
    const values = random(8 * 1000 + 5, 99); // the 5-voxel tail is packed bit by bit
    const fast = new Uint8Array(packedByteLength(values.length));
    packBitsInto(values, fast, 0);
    const slow = new Uint8Array(packedByteLength(values.length + 1));
    packBitsInto(values, slow, 1); // an odd offset takes the byte-by-byte path
    const out = new Uint8Array(values.length + 4);
    unpackBits(fast, 0, values.length, out, 4); // word-aligned: the table path
    expect(out.subarray(4)).toEqual(values);
    const odd = new Uint8Array(values.length + 1);
    unpackBits(fast, 0, values.length, odd, 1); // not word-aligned: byte by byte
    expect(odd.subarray(1)).toEqual(values);
    const shifted = new Uint8Array(values.length);
    unpackBits(slow, 1, values.length, shifted, 0);
    expect(shifted).toEqual(values);
  });

  it('reports the first value that is neither 0 nor 1', () => {
    const values = new Uint8Array(100);
    values[42] = 255;
    values[70] = 2;
    expect(packBitsInto(values, new Uint8Array(13), 0)).toBe(42);
  });

  it('rounds packed lengths up to an even number of bytes', () => {
    expect([packedByteLength(8), packedByteLength(9), packedByteLength(17), packedByteLength(510 * 510 * 3)]).toEqual([2, 2, 4, 97538]);
  });
});

describe('packEqualsInto', () => {
  it('packs the voxels equal to a value exactly as packBitsInto packs their 0/1 copy, across chunks and at any bit offset', () => {
    // More than one 64 Ki chunk, a length that is not a multiple of 8, and offsets inside a byte.
    const n = (1 << 16) * 2 + 13;
    const labels = Uint8Array.from({ length: n }, (_, i) => ((i * 2654435761) >>> 28) % 3);
    for (const offset of [0, 3, 8, 35]) {
      const expected = new Uint8Array(packedByteLength(n + offset));
      packBitsInto(labels.map((v) => (v === 2 ? 1 : 0)), expected, offset);
      const actual = new Uint8Array(packedByteLength(n + offset));
      packEqualsInto(labels, 2, actual, offset);
      expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
    }
  });
});
