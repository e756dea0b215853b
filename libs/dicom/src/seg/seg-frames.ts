import { inflateRawSync } from 'node:zlib';

import { UnsupportedTransferSyntaxError } from '../errors';
import { unpackBits } from './bits';
import { decodeRleFrame } from './rle';
import { SegReadError } from './seg-errors';

const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);
const RLE = '1.2.840.10008.1.2.5';
/** Deflated Image Frame Compression (PS3.5 A.4.11, 2024): each frame a raw RFC 1951 deflate stream. */
const DEFLATED_FRAMES = '1.2.840.10008.1.2.8.1';

export interface FrameLayout {
  transferSyntaxUID: string;
  rows: number;
  columns: number;
  numberOfFrames: number;
  bitsAllocated: 1 | 8;
  /** FRACTIONAL only: a stored value v is "in" when 2 * v >= MaximumFractionalValue. */
  maximumFractionalValue?: number;
  sopInstanceUID: string;
}

/**
 * Writes frame `frame` of the SEG as 0/1 bytes into `out` at `outOffset` (the target range must be zero).
 *
 * Native BINARY pixel data is one bit stream: frame f starts at bit f x Rows x Columns, which is in the
 * middle of a byte when Rows x Columns is not a multiple of 8 (PS3.5 8.1.1). Encapsulated frames (RLE,
 * deflate) are compressed one by one, so each starts at bit 0 of its own decoded bytes.
 * FRACTIONAL frames are thresholded at half of MaximumFractionalValue: the viewer shows masks, and
 * 0.5 is where a probability map says "more likely in than out".
 */
export type FrameDecoder = (frame: number, out: Uint8Array, outOffset: number) => void;

/** Builds the decoder for a SEG's PixelData as dcmjs read it (an array of ArrayBuffers). */
export function createFrameDecoder(pixelData: unknown, layout: FrameLayout): FrameDecoder {
  const { transferSyntaxUID: ts, rows, columns, numberOfFrames, bitsAllocated, sopInstanceUID } = layout;
  const pixels = rows * columns;
  const buffers = Array.isArray(pixelData) ? pixelData.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer) : [];
  if (buffers.length === 0) throw new SegReadError(`SEG ${sopInstanceUID} has no PixelData`, sopInstanceUID);
  const frameBytes = bitsAllocated === 1 ? Math.ceil(pixels / 8) : pixels;

  if (NATIVE.has(ts)) {
    const stream = new Uint8Array(buffers[0]);
    const needed = bitsAllocated === 1 ? Math.ceil((numberOfFrames * pixels) / 8) : numberOfFrames * pixels;
    if (stream.length < needed) throw new SegReadError(`SEG ${sopInstanceUID} PixelData has ${stream.length} bytes, ${numberOfFrames} frames need ${needed}`, sopInstanceUID);
    if (bitsAllocated === 1) return (f, out, o) => unpackBits(stream, f * pixels, pixels, out, o);
    return (f, out, o) => threshold(stream.subarray(f * pixels, (f + 1) * pixels), layout, out, o);
  }

  let decode: (bytes: Uint8Array) => Uint8Array;
  if (ts === RLE) decode = (bytes) => decodeRleFrame(bytes, frameBytes);
  else if (ts === DEFLATED_FRAMES) decode = (bytes) => new Uint8Array(inflateRawSync(bytes));
  else {
    throw new UnsupportedTransferSyntaxError(`SEG ${sopInstanceUID} uses transfer syntax ${ts}, which readSeg does not decode (native, deflate and RLE only)`, ts);
  }
  if (buffers.length !== numberOfFrames) {
    throw new SegReadError(`SEG ${sopInstanceUID} has ${buffers.length} encapsulated frames for NumberOfFrames ${numberOfFrames}`, sopInstanceUID);
  }
  return (f, out, o) => {
    let bytes: Uint8Array;
    try {
      bytes = decode(new Uint8Array(buffers[f]));
    } catch (cause) {
      throw new SegReadError(`SEG ${sopInstanceUID} frame ${f + 1} does not decode (${ts})`, sopInstanceUID, { cause });
    }
    if (bytes.length < frameBytes) throw new SegReadError(`SEG ${sopInstanceUID} frame ${f + 1} decodes to ${bytes.length} bytes, expected ${frameBytes}`, sopInstanceUID);
    if (bitsAllocated === 1) unpackBits(bytes, 0, pixels, out, o);
    else threshold(bytes.subarray(0, pixels), layout, out, o);
  };
}

function threshold(values: Uint8Array, layout: FrameLayout, out: Uint8Array, offset: number): void {
  const max = layout.maximumFractionalValue ?? 255;
  for (let i = 0; i < values.length; i++) if (values[i] * 2 >= max && values[i] > 0) out[offset + i] = 1;
}
