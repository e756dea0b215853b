import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { PixelDecodeError, UnsupportedTransferSyntaxError } from '../errors';
import type { StoredPixels } from './dicom-dataset';
import { decodeWithWasm, type WasmCodecName, type WasmDecoded } from './codecs';
import { type J2kCodestreamInfo, readJ2kCodestream } from './j2k-codestream';
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

/** What a codec says it decoded, read from the codestream it was given (not from the DICOM header). */
interface DecodedFrameInfo {
  readonly width: number;
  readonly height: number;
  readonly componentCount: number;
  readonly bitsPerSample: number;
}

/** Decoded samples, laid out as BitsAllocated says, and what the codec reports about them (RLE reports nothing). */
interface RawFrame {
  readonly samples: Uint8Array | Uint16Array;
  readonly info?: DecodedFrameInfo;
}

function decodeJpegLossless(frame: EncodedFrame): RawFrame {
  const bytes = padBeforeEoi(frame.bytes);
  const decoder = new JpegLosslessDecoder();
  try {
    // The output words are BitsAllocated wide whatever the stream's precision (numBytes forces them).
    const samples = decoder.decode(bytes.buffer, bytes.byteOffset, bytes.byteLength, frame.pixel.bitsAllocated / 8);
    return { samples, info: { width: decoder.xDim, height: decoder.yDim, componentCount: decoder.numComp, bitsPerSample: decoder.precision ?? 0 } };
  } catch (error) {
    throw new PixelDecodeError(`Decoding the JPEG lossless frame of SOP Instance ${frame.sopInstanceUID} failed`, frame.transferSyntaxUID, { cause: error });
  }
}

const wasmCodecOf: Partial<Record<EncodedFrame['encoding'], WasmCodecName>> = {
  'jpeg-ls': 'jpeg-ls',
  'jpeg-2000': 'jpeg-2000',
  htj2k: 'htj2k',
  'jpeg-baseline': 'jpeg-baseline',
};

async function decodeRaw(frame: EncodedFrame): Promise<RawFrame> {
  const { pixel } = frame;
  if (frame.encoding === 'rle') {
    // RLE (PS3.5 Annex G) carries no image size: its header is a segment count and offsets. The
    // decoder checks the segments (one per byte of each sample) and that each fills Rows x Columns.
    try {
      return { samples: decodeRleFrame(frame.bytes, pixel.rows, pixel.columns, pixel.bitsAllocated, pixel.samplesPerPixel) };
    } catch (error) {
      throw new PixelDecodeError(`Decoding the RLE frame of SOP Instance ${frame.sopInstanceUID} failed: ${(error as Error).message}`, frame.transferSyntaxUID, { cause: error });
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
  // HTJ2K (newer, stricter here): the codestream's header is checked against the dataset before decoding.
  if (codec === 'htj2k') checkHtj2kHeader(frame);
  const decoded = await decodeWithWasm(codec, frame.bytes, frame.transferSyntaxUID);
  // The WebAssembly codecs write samples as wide as the codestream's own depth (bytes up to 8 bits,
  // 16-bit words above), so that width must be BitsAllocated's, or asWords would misread the buffer.
  if ((decoded.bitsPerSample > 8) !== (pixel.bitsAllocated === 16)) {
    throw new PixelDecodeError(
      `Decoding SOP Instance ${frame.sopInstanceUID} failed: the codestream has ${decoded.bitsPerSample}-bit samples, the header says ${pixel.bitsAllocated} bits allocated`,
      frame.transferSyntaxUID,
    );
  }
  // Signedness is compared for HTJ2K only, as before: JPEG 2000 files in the wild often disagree with
  // PixelRepresentation, so for them and JPEG-LS toStoredValues reads the samples as the header says.
  if (codec === 'htj2k') checkHtj2kSignedness(frame, decoded);
  return { samples: asWords(decoded.bytes, pixel.bitsAllocated), info: decoded };
}

function checkHtj2kHeader(frame: EncodedFrame): void {
  const { pixel } = frame;
  let info: J2kCodestreamInfo;
  try {
    info = readJ2kCodestream(frame.bytes);
  } catch (error) {
    throw new PixelDecodeError(`Decoding the HTJ2K frame of SOP Instance ${frame.sopInstanceUID} failed: ${(error as Error).message}`, frame.transferSyntaxUID, { cause: error });
  }
  const problem =
    shapeProblem(pixel, info) ??
    (info.bitDepth > pixel.bitsAllocated || info.bitDepth > 8 !== (pixel.bitsAllocated === 16)
      ? `${info.bitDepth}-bit samples, the header says ${pixel.bitsAllocated} bits allocated`
      : info.isSigned !== (pixel.pixelRepresentation === 1)
        ? `${info.isSigned ? 'signed' : 'unsigned'} samples, the header says PixelRepresentation ${pixel.pixelRepresentation}`
        : undefined);
  if (problem) {
    throw new PixelDecodeError(`Decoding the HTJ2K frame of SOP Instance ${frame.sopInstanceUID} failed: the codestream has ${problem}`, frame.transferSyntaxUID);
  }
}

/**
 * What differs between a codestream's declared components and size and the header's SamplesPerPixel and
 * Columns x Rows, in the words of the error; undefined when they agree. Shared by the HTJ2K check before
 * decoding and every codec's check after it.
 */
function shapeProblem(pixel: EncodedFrame['pixel'], info: { width: number; height: number; componentCount: number }): string | undefined {
  if (info.componentCount !== pixel.samplesPerPixel) return `${info.componentCount} component(s), the header says SamplesPerPixel ${pixel.samplesPerPixel}`;
  if (info.width !== pixel.columns || info.height !== pixel.rows) return `${info.width} x ${info.height} samples, the header says ${pixel.columns} x ${pixel.rows} (columns x rows)`;
  return undefined;
}

/** After decoding: the samples OpenJPH made must be as signed as its header promised (a second line of defence). */
function checkHtj2kSignedness(frame: EncodedFrame, decoded: WasmDecoded): void {
  const { pixel } = frame;
  if (decoded.isSigned !== undefined && decoded.isSigned !== (pixel.pixelRepresentation === 1)) {
    throw new PixelDecodeError(
      `Decoding SOP Instance ${frame.sopInstanceUID} failed: the codestream holds ${decoded.isSigned ? 'signed' : 'unsigned'} samples, the header says PixelRepresentation ${pixel.pixelRepresentation}`,
      frame.transferSyntaxUID,
    );
  }
}

/**
 * Every codec's output against the header: the size, components and depth the codestream declared must be
 * Columns x Rows, SamplesPerPixel and at most BitsAllocated. A stream of 256 x 1024 in a 512 x 512 header has
 * the right number of samples but is another picture; never weaken this to a sample count. BitsStored is
 * not compared: a codestream's precision need not equal it (toStoredValues masks to BitsStored anyway), and
 * this check was added without a corpus of real files to prove an equality rule safe.
 */
function checkDecodedFrame(frame: EncodedFrame, info: DecodedFrameInfo): void {
  const { pixel } = frame;
  const problem =
    shapeProblem(pixel, info) ??
    (info.bitsPerSample < 1 || info.bitsPerSample > pixel.bitsAllocated ? `${info.bitsPerSample}-bit samples, the header says ${pixel.bitsAllocated} bits allocated` : undefined);
  if (problem) {
    throw new PixelDecodeError(`Decoding the ${frame.encoding} frame of SOP Instance ${frame.sopInstanceUID} failed: the codestream has ${problem}`, frame.transferSyntaxUID);
  }
}

/**
 * Decodes one encapsulated frame to stored values (before rescale), checking that what the codec decoded
 * is what the header describes (see checkDecodedFrame). The worker threads of FrameDecodePool run this
 * same function. Returns a new buffer the caller owns.
 */
export async function decodeEncodedFrame(frame: EncodedFrame): Promise<StoredPixels> {
  const { pixel } = frame;
  const { samples: raw, info } = await decodeRaw(frame);
  if (info) checkDecodedFrame(frame, info);
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
