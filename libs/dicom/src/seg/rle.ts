import { SegReadError } from './seg-errors';

/**
 * Decodes one RLE Lossless frame (PS3.5 Annex G) of 8-bit samples: a 64-byte header (segment count,
 * then 15 segment offsets, little endian) followed by PackBits segments. SEG frames have one sample of
 * one byte (BINARY: bytes of packed bits; FRACTIONAL: 8-bit values), hence exactly one segment.
 * @param expectedLength decoded bytes the frame must yield; shorter or longer output is an error.
 * @returns a new buffer.
 */
export function decodeRleFrame(frame: Uint8Array, expectedLength: number): Uint8Array {
  if (frame.length < 64) throw new SegReadError(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== 1) throw new SegReadError(`RLE frame has ${segments} segments; a SEG frame of 8-bit single samples has 1`);
  const start = view.getUint32(4, true);
  const out = new Uint8Array(expectedLength);
  let o = 0;
  let i = start;
  while (i < frame.length && o < expectedLength) {
    const n = (frame[i++] << 24) >> 24; // the header byte is a signed 8-bit count
    if (n >= 0) {
      const end = i + n + 1;
      if (end > frame.length || o + n + 1 > expectedLength) throw new SegReadError('RLE literal run overruns the frame');
      out.set(frame.subarray(i, end), o);
      o += n + 1;
      i = end;
    } else if (n !== -128) {
      const count = 1 - n;
      if (o + count > expectedLength || i >= frame.length) throw new SegReadError('RLE replicate run overruns the frame');
      out.fill(frame[i++], o, o + count);
      o += count;
    }
  }
  if (o !== expectedLength) throw new SegReadError(`RLE frame decodes to ${o} bytes, expected ${expectedLength}`);
  return out;
}
