import { PixelDecodeError } from '../errors';
import { TransferSyntaxUID } from './transfer-syntax';

const headerBytes = 64;
const maxSegments = 15;

function fail(why: string): never {
  throw new PixelDecodeError(`RLE decoding failed: ${why}`, TransferSyntaxUID.RLELossless);
}

/** Decodes one PackBits segment (PS3.5 G.3.1) into `out`, which must be filled exactly. */
function decodeSegment(data: Uint8Array, start: number, end: number, out: Uint8Array, segment: number): void {
  let input = start;
  let output = 0;
  const length = out.length;
  while (output < length) {
    if (input >= end) fail(`segment ${segment} ends after ${output} of ${length} bytes`);
    const header = (data[input++]! << 24) >> 24; // the header byte is signed
    if (header >= 0) {
      const literal = header + 1;
      if (input + literal > end) fail(`segment ${segment} literal run passes the end of the segment`);
      if (output + literal > length) fail(`segment ${segment} decodes to more than ${length} bytes`);
      out.set(data.subarray(input, input + literal), output);
      input += literal;
      output += literal;
    } else if (header !== -128) {
      // -128 is a no-op (G.3.1); -1..-127 repeat the next byte 2..128 times.
      const repeat = 1 - header;
      if (input >= end) fail(`segment ${segment} replicate run has no byte`);
      if (output + repeat > length) fail(`segment ${segment} decodes to more than ${length} bytes`);
      out.fill(data[input++]!, output, output + repeat);
      output += repeat;
    }
  }
}

/**
 * Decodes one RLE Lossless frame (PS3.5 Annex G) of a single-sample image into raw little-endian
 * words: Uint8Array for BitsAllocated 8, Uint16Array for 16, packed bytes for 1-bit frames.
 * Segment i holds byte plane i, most significant first (G.2). `frame` is read, never kept.
 * The RLE header holds no image size, only the segments: one per byte of each sample (G.2), so the
 * segment count is what proves SamplesPerPixel and BitsAllocated; Rows x Columns only bounds each segment.
 */
export function decodeRleFrame(frame: Uint8Array, rows: number, columns: number, bitsAllocated: number, samplesPerPixel = 1): Uint8Array | Uint16Array {
  if (frame.length < headerBytes) fail(`the frame is ${frame.length} bytes, shorter than the 64-byte header`);
  const header = new DataView(frame.buffer, frame.byteOffset, headerBytes);
  const segments = header.getUint32(0, true);
  const pixels = rows * columns;
  const expectedSegments = samplesPerPixel * (bitsAllocated === 1 ? 1 : bitsAllocated / 8);
  if (segments !== expectedSegments || segments > maxSegments) {
    fail(`the header declares ${segments} segments, expected ${expectedSegments} (SamplesPerPixel ${samplesPerPixel}, BitsAllocated ${bitsAllocated})`);
  }
  if (samplesPerPixel !== 1) fail(`SamplesPerPixel ${samplesPerPixel}: only single-sample frames are decoded`);
  const offsets: number[] = [];
  for (let i = 0; i < segments; i++) offsets.push(header.getUint32(4 + 4 * i, true));
  offsets.push(frame.length);
  const planeLength = bitsAllocated === 1 ? Math.ceil(pixels / 8) : pixels;
  const planes = offsets.slice(0, segments).map((start, i) => {
    const end = offsets[i + 1]!;
    if (start < headerBytes || start > end || end > frame.length) fail(`segment ${i} offset ${start} is outside the frame`);
    const plane = new Uint8Array(planeLength);
    decodeSegment(frame, start, end, plane, i);
    return plane;
  });
  if (segments === 1) return planes[0]!;
  const [high, low] = planes as [Uint8Array, Uint8Array];
  const out = new Uint16Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = (high[i]! << 8) | low[i]!;
  return out;
}
