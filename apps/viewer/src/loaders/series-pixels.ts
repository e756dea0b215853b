import { readPart10Pixels } from './dicom-part10';
import type { SliceFormat } from './series-stream.protocol';

export type StoredPixels = Int16Array | Uint16Array | Uint8Array;

/** A part of the series answer whose transfer syntax the page cannot read (compressed, big endian). */
export class UnreadableSyntaxError extends Error {
  override name = 'UnreadableSyntaxError';
}

/**
 * Turns one part of a series retrieve (a Part 10 file) into the stored pixel values of the slice it
 * carries, in a new, aligned buffer the caller owns, with their range. Returns undefined for a part to
 * skip (not a slice asked for, unreadable file, too little pixel data): that slice falls back alone.
 * Throws {@link UnreadableSyntaxError} when the file is stored compressed or big endian.
 * `part` is only read during the call (it may be a view into a buffer that is reused afterwards).
 */
export function pixelsOfPart(part: Uint8Array, formats: ReadonlyMap<string, SliceFormat>): { sopInstanceUID: string; pixels: StoredPixels; min: number; max: number } | undefined {
  let read;
  try {
    read = readPart10Pixels(part);
  } catch {
    return undefined;
  }
  if (!read) throw new UnreadableSyntaxError(`transfer syntax not readable in the page`);
  const format = formats.get(read.sopInstanceUID);
  if (!format || (format.bitsAllocated !== 8 && format.bitsAllocated !== 16)) return undefined;
  const count = format.rows * format.columns;
  const bytes = count * (format.bitsAllocated / 8);
  if (read.pixelData.length < bytes) return undefined;
  // One copy into a fresh buffer: the Pixel Data may start at an odd offset, and typed arrays need alignment.
  const pixels: StoredPixels = format.bitsAllocated === 8 ? new Uint8Array(count) : format.pixelRepresentation === 1 ? new Int16Array(count) : new Uint16Array(count);
  new Uint8Array(pixels.buffer).set(read.pixelData.subarray(0, bytes));
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = pixels[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { sopInstanceUID: read.sopInstanceUID, pixels, min, max };
}
