import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { PixelDecodeError, UnsupportedTransferSyntaxError } from '../errors';
import type { StoredPixels } from './dicom-dataset';
import { decodeWithWasm, type WasmCodecName } from './codecs';
import { nativeFrameBits, type PixelDescription } from './pixel-description';
import { decodeRleFrame } from './rle-decoder';
import { toStoredValues, unpackBits } from './stored-values';
import type { PixelEncoding } from './transfer-syntax';

/**
 * One frame of native (uncompressed, little-endian) pixel data, as a decoder elsewhere (a worker thread)
 * takes it: `data` is the instance's whole native pixel buffer, `index` the frame in it.
 */
export interface NativeFrame {
  readonly encoding: 'native';
  readonly transferSyntaxUID: string;
  readonly sopInstanceUID: string;
  readonly pixel: PixelDescription;
  readonly index: number;
  /** Every frame's native bytes (little-endian, words aligned), starting at offset 0 of its own buffer. */
  readonly bytes: Uint8Array;
}

/**
 * Frame `index` of native little-endian pixel data as stored values (see DicomInstance.decodeFrame);
 * a new buffer the caller owns. `data` holds every frame, its 16-bit words aligned.
 */
export function decodeNativeFrame(data: Uint8Array, pixel: PixelDescription, index: number): StoredPixels {
  const pixels = pixel.rows * pixel.columns;
  const bitOffset = nativeFrameBits(pixel) * index;
  if (pixel.bitsAllocated === 1) return unpackBits(data, bitOffset, pixels);
  const byteOffset = bitOffset / 8;
  const bytes = data.subarray(byteOffset, byteOffset + (pixels * pixel.bitsAllocated) / 8);
  if (pixel.bitsAllocated === 8) return toStoredValues(bytes, pixel);
  // `data` is its own buffer starting at offset 0 and 16-bit frames are whole words, so the view is
  // aligned; toStoredValues copies it into the caller's buffer.
  return toStoredValues(new Uint16Array(bytes.buffer, bytes.byteOffset, pixels), pixel);
}

/** One encapsulated frame, its transfer syntax and what the header says it must decode to. */
export interface EncodedFrame {
  readonly encoding: Exclude<PixelEncoding, 'native' | 'native-big-endian'>;
  readonly transferSyntaxUID: string;
  readonly sopInstanceUID: string;
  readonly pixel: PixelDescription;
  /** The frame's compressed bytes (fragments already joined); read, never kept. */
  readonly bytes: Uint8Array;
}

function asWords(bytes: Uint8Array, bitsAllocated: number): Uint8Array | Uint16Array {
  if (bitsAllocated === 8) return bytes;
  // Decoded buffers are fresh copies starting at offset 0, so the 2-byte alignment holds.
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
}

/**
 * jpeg-lossless-decoder-js looks 16 bits ahead while reading a Huffman code and, when that look-ahead
 * reaches the EOI marker, it drops the last pixel (seen on dcmtk's SV1 encoding of CTImage.dcm: the
 * last pixel came back 0 instead of -2000). Zero bytes before EOI are only ever peeked at, never
 * decoded, because the decoder stops after Rows x Columns pixels; so they make the look-ahead safe.
 */
function padBeforeEoi(bytes: Uint8Array): Uint8Array {
  // Fragments are padded to even length (PS3.5 A.4) and some encoders add more after EOI (NEMA WG04
  // CT2_JPLL ends FF D9 FF), so look for EOI among the last few bytes rather than at the very end.
  let eoi = -1;
  for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 8); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) {
      eoi = i;
      break;
    }
  }
  if (eoi < 0) return bytes;
  const padded = new Uint8Array(eoi + 6);
  padded.set(bytes.subarray(0, eoi), 0);
  padded.set([0xff, 0xd9], eoi + 4);
  return padded;
}

function decodeJpegLossless(frame: EncodedFrame): Uint8Array | Uint16Array {
  const bytes = padBeforeEoi(frame.bytes);
  try {
    return new JpegLosslessDecoder().decode(bytes.buffer, bytes.byteOffset, bytes.byteLength, frame.pixel.bitsAllocated / 8);
  } catch (error) {
    throw new PixelDecodeError(`Decoding the JPEG lossless frame of SOP Instance ${frame.sopInstanceUID} failed`, frame.transferSyntaxUID, { cause: error });
  }
}

const wasmCodecOf: Partial<Record<EncodedFrame['encoding'], WasmCodecName>> = {
  'jpeg-ls': 'jpeg-ls',
  'jpeg-2000': 'jpeg-2000',
  'jpeg-baseline': 'jpeg-baseline',
};

async function decodeRaw(frame: EncodedFrame): Promise<Uint8Array | Uint16Array> {
  const { pixel } = frame;
  if (frame.encoding === 'rle') {
    try {
      return decodeRleFrame(frame.bytes, pixel.rows, pixel.columns, pixel.bitsAllocated);
    } catch (error) {
      throw new PixelDecodeError(`Decoding the RLE frame of SOP Instance ${frame.sopInstanceUID} failed`, frame.transferSyntaxUID, { cause: error });
    }
  }
  if (pixel.bitsAllocated === 1) {
    throw new UnsupportedTransferSyntaxError(
      `Decoding SOP Instance ${frame.sopInstanceUID} failed: 1-bit pixel data in ${frame.transferSyntaxUID} is not supported`,
      frame.transferSyntaxUID,
    );
  }
  if (frame.encoding === 'jpeg-lossless') return decodeJpegLossless(frame);
  const codec = wasmCodecOf[frame.encoding]!;
  if (codec === 'jpeg-baseline' && pixel.bitsStored > 8) {
    // Only the 8-bit build of libjpeg-turbo is installed; a 12-bit decode would silently be wrong.
    throw new UnsupportedTransferSyntaxError(
      `Decoding SOP Instance ${frame.sopInstanceUID} failed: ${pixel.bitsStored}-bit lossy JPEG (${frame.transferSyntaxUID}) is not supported, only 8-bit`,
      frame.transferSyntaxUID,
    );
  }
  const decoded = await decodeWithWasm(codec, frame.bytes, frame.transferSyntaxUID);
  if (decoded.componentCount !== 1 || (decoded.bitsPerSample > 8) !== (pixel.bitsAllocated === 16)) {
    throw new PixelDecodeError(
      `Decoding SOP Instance ${frame.sopInstanceUID} failed: the codestream has ${decoded.componentCount} component(s) of ${decoded.bitsPerSample} bits, the header says 1 of ${pixel.bitsAllocated} allocated`,
      frame.transferSyntaxUID,
    );
  }
  return asWords(decoded.bytes, pixel.bitsAllocated);
}

/**
 * Decodes one encapsulated frame to stored values (before rescale), checking that the codestream's
 * size matches Rows x Columns of the header. Returns a new buffer the caller owns.
 */
export async function decodeEncodedFrame(frame: EncodedFrame): Promise<StoredPixels> {
  const { pixel } = frame;
  const raw = await decodeRaw(frame);
  const pixels = pixel.rows * pixel.columns;
  if (pixel.bitsAllocated === 1) return unpackBits(raw as Uint8Array, 0, pixels);
  if (raw.length !== pixels) {
    throw new PixelDecodeError(
      `Decoding SOP Instance ${frame.sopInstanceUID} failed: the frame decoded to ${raw.length} samples, the header says ${pixel.rows} x ${pixel.columns}`,
      frame.transferSyntaxUID,
    );
  }
  return toStoredValues(raw, pixel);
}
