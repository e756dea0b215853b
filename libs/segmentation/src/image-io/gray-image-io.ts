import sharp from 'sharp';
import { ImageDecodeError, ImageTooLargeError, InvalidInputError } from '../errors';
import type { GrayImage } from '../pipeline/segment-gray-image';
import { detectImageFormat, type ImageFormat } from './image-header';

// Each upload is decoded once: libvips's operation cache would only hold decoded images in memory.
sharp.cache(false);

export interface ImageLimits {
  /** Longest allowed side, pixels (default 4096). */
  maxSide?: number;
  /** Largest allowed width x height (default 16 Mpx); also sharp's `limitInputPixels`. */
  maxPixels?: number;
}

/** What sharp's loaders call the formats we accept (metadata().format). */
const SHARP_FORMAT: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpeg', tiff: 'tiff', webp: 'webp' };

/**
 * Decodes a PNG, JPEG, TIFF or WebP (first page/frame) to 8-bit grey with sharp (libvips):
 * colour is averaged (R + G + B) / 3 as before, alpha ignored, 16-bit samples scaled to 8 bits
 * (v / 257, so the picture must already be windowed: raw HU belong in a DICOM upload).
 *
 * Hostile input: the format is checked by signature before sharp sees the bytes; the dimensions are
 * read from the header (sharp metadata, no decoding) and refused above `maxSide`/`maxPixels`, and
 * sharp's own `limitInputPixels` holds the same bound while decoding, so a small file that claims a
 * huge image is never allocated. Decoded memory is at most maxPixels x 4 channels x 2 bytes.
 * @param bytes the file; not retained. @returns a new GrayImage owned by the caller.
 * @throws ImageTooLargeError, ImageDecodeError.
 */
export async function decodeGrayImage(bytes: Uint8Array, limits: ImageLimits = {}): Promise<GrayImage> {
  const maxSide = limits.maxSide ?? 4096;
  const maxPixels = limits.maxPixels ?? 16 * 1024 * 1024;
  const format = detectImageFormat(bytes);
  if (!format) throw new ImageDecodeError('Reading image header failed: not a PNG, JPEG, TIFF or WebP file');
  // failOn 'warning' (the default, spelled out): a truncated or corrupt file is refused, never half-decoded.
  const input = () => sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning', sequentialRead: true });
  let metadata: sharp.Metadata;
  try {
    // Header only: no pixel is decoded here, so the claimed size can be read and reported unbounded.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new ImageDecodeError(`Reading the ${format} header failed`, { cause });
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (metadata.format !== SHARP_FORMAT[format]) throw new ImageDecodeError(`Decoding ${format} failed: the contents are ${String(metadata.format)}`);
  if (width < 1 || height < 1) throw new ImageDecodeError(`Decoding ${format} failed: header says ${width} x ${height}`);
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new ImageTooLargeError(`Decoding ${format} refused: ${width} x ${height} exceeds ${maxSide} px per side or ${maxPixels} px`, width, height);
  }
  const deep = metadata.depth === 'ushort' || metadata.depth === 'short';
  if (!deep && metadata.depth !== 'uchar' && metadata.depth !== 'char') throw new ImageDecodeError(`Decoding ${format} failed: ${String(metadata.depth)} samples are not supported (8 or 16 bits)`);
  const grey = metadata.space === 'b-w' || metadata.space === 'grey16';
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    // Grey stays one channel (libvips would otherwise widen it to sRGB); anything else (palette, CMYK,
    // RGB) becomes sRGB without alpha, averaged below. The 16-bit interpretations (grey16, rgb16) with
    // a ushort output keep every sample: an 8-bit interpretation of 16-bit grey keeps the low byte
    // (1000 -> 232), and extractChannel on it rescales wrongly (1000 -> 3).
    const space = grey ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb';
    const pipeline = grey ? input().toColourspace(space) : input().toColourspace(space).removeAlpha();
    raw = await pipeline.raw({ depth: deep ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new ImageDecodeError(`Decoding ${format} failed (${width} x ${height})`, { cause });
  }
  const { channels } = raw.info;
  const pixelCount = width * height;
  const samples = deep ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength >> 1) : raw.data;
  if (raw.info.width !== width || raw.info.height !== height || samples.length !== pixelCount * channels) {
    throw new ImageDecodeError(`Decoding ${format} failed: ${samples.length} samples for ${width} x ${height} x ${channels}`);
  }
  const scale = deep ? 257 : 1;
  const pixels = new Uint8Array(pixelCount);
  if (channels === 1) {
    for (let i = 0; i < pixelCount; i++) pixels[i] = Math.round(samples[i]! / scale);
  } else {
    for (let i = 0, j = 0; i < pixelCount; i++, j += channels) pixels[i] = Math.round((samples[j]! + samples[j + 1]! + samples[j + 2]!) / (3 * scale));
  }
  return { pixels, width, height };
}

/**
 * Encodes an 8-bit RGB (3 bytes per pixel) or grey (1 byte per pixel) row-major image as PNG (sharp,
 * zlib level 6, grey stays 1 channel). `pixels` is read, not kept.
 * @returns a new Buffer owned by the caller.
 */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Buffer> {
  if (!(width > 0 && height > 0) || pixels.length !== width * height * channels) {
    throw new InvalidInputError(`Encoding PNG failed: ${pixels.length} bytes do not make ${width} x ${height} x ${channels}`);
  }
  return sharp(pixels, { raw: { width, height, channels } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .png({ compressionLevel: 6 })
    .toBuffer();
}
