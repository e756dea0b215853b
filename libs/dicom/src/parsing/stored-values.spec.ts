import { describe, expect, it } from 'vitest';
import type { PixelDescription } from './pixel-description';
import { toStoredValues, unpackBits } from './stored-values';

const pixel = (overrides: Partial<PixelDescription>): PixelDescription => ({
  rows: 1,
  columns: 4,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation: 0,
  photometricInterpretation: 'MONOCHROME2',
  numberOfFrames: 1,
  ...overrides,
});

describe('toStoredValues', () => {
  it('keeps unsigned 8-bit values as a Uint8Array', () => {
    const out = toStoredValues(Uint8Array.of(0, 1, 254, 255), pixel({ bitsAllocated: 8, bitsStored: 8 }));
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Array.from(out)).toEqual([0, 1, 254, 255]);
  });

  it('sign-extends signed 8-bit values into an Int16Array', () => {
    const out = toStoredValues(Uint8Array.of(0x00, 0x7f, 0x80, 0xff), pixel({ bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 1 }));
    expect(out).toBeInstanceOf(Int16Array);
    expect(Array.from(out)).toEqual([0, 127, -128, -1]);
  });

  it('masks unsigned 12-bit values stored in 16 bits', () => {
    expect(Array.from(toStoredValues(Uint16Array.of(0xf123, 0x0fff, 0x1000, 5), pixel({ bitsStored: 12 })))).toEqual([0x123, 0xfff, 0, 5]);
  });

  it('returns a new buffer, never a view of the input', () => {
    const raw = Uint16Array.of(1, 2, 3, 4);
    const out = toStoredValues(raw, pixel({ pixelRepresentation: 1 }));
    raw[0] = 99;
    expect(out[0]).toBe(1);
  });
});

describe('unpackBits', () => {
  it('reads 1-bit pixels least significant bit first, from any bit offset (PS3.5 8.1.1)', () => {
    expect(Array.from(unpackBits(Uint8Array.of(0b1000_0101, 0b0000_0001), 0, 9))).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(unpackBits(Uint8Array.of(0b1000_0101, 0b0000_0001), 7, 2))).toEqual([1, 1]);
  });
});
