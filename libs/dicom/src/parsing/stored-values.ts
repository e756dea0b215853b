import type { StoredPixels } from './dicom-dataset';
import type { PixelDescription } from './pixel-description';

/**
 * Turns raw sample words into stored values: keeps the low BitsStored bits and, for
 * PixelRepresentation 1, sign-extends from bit BitsStored - 1 (PS3.5 8.1.1: bits above HighBit may
 * hold anything, e.g. retired overlay planes, so they are never trusted).
 *
 * `raw` holds one unsigned word per pixel (Uint8Array for BitsAllocated 8, Uint16Array for 16); it
 * is read, never kept. The result is a new buffer the caller owns: Uint16Array/Int16Array for
 * 16 bits, Uint8Array for unsigned 8 bits, Int16Array for signed 8 bits (JS has no Int8 consumer here).
 */
export function toStoredValues(raw: Uint8Array | Uint16Array, pixel: PixelDescription): StoredPixels {
  const { bitsStored, pixelRepresentation, bitsAllocated } = pixel;
  const count = raw.length;
  if (pixelRepresentation === 0) {
    if (bitsStored === bitsAllocated) return bitsAllocated === 8 ? Uint8Array.from(raw) : Uint16Array.from(raw);
    const mask = (1 << bitsStored) - 1;
    const out = bitsAllocated === 8 ? new Uint8Array(count) : new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = raw[i]! & mask;
    return out;
  }
  if (bitsStored === 16) {
    // Same bits, signed view: Int16Array.from would convert values > 32767 to garbage-free wraps anyway,
    // but copying the buffer keeps it one memcpy for the common CT case.
    const out = new Int16Array(count);
    new Uint16Array(out.buffer).set(raw);
    return out;
  }
  const shift = 32 - bitsStored;
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = (raw[i]! << shift) >> shift;
  return out;
}

/** Unpacks 1-bit samples (LSB first, PS3.5 8.1.1 and D.2) starting at `bitOffset` into 0/1 bytes. */
export function unpackBits(data: Uint8Array, bitOffset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i;
    out[i] = (data[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}
