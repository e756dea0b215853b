import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageDecodeError, ImageTooLargeError, InvalidInputError } from '../errors';
import type { GrayImage } from '../pipeline/segment-gray-image';
import { readImageHeader } from './image-header';

export interface ImageLimits {
  /** Longest allowed side, pixels (default 4096). */
  maxSide?: number;
  /** Largest allowed width x height (default 16 Mpx). */
  maxPixels?: number;
}

/**
 * Decodes a PNG or JPEG to 8-bit grey (RGB averaged, alpha ignored; 16-bit PNG scaled to 8 bits).
 * Dimensions are checked from the header before decoding, so a small file that claims a huge image
 * is refused without allocating it.
 * @param bytes the file; not retained. @returns a new GrayImage owned by the caller.
 * @throws ImageTooLargeError, ImageDecodeError.
 */
export function decodeGrayImage(bytes: Uint8Array, limits: ImageLimits = {}): GrayImage {
  const maxSide = limits.maxSide ?? 4096;
  const maxPixels = limits.maxPixels ?? 16 * 1024 * 1024;
  const { format, width, height } = readImageHeader(bytes);
  if (width < 1 || height < 1) throw new ImageDecodeError(`Decoding ${format} failed: header says ${width} x ${height}`);
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new ImageTooLargeError(`Decoding ${format} refused: ${width} x ${height} exceeds ${maxSide} px per side or ${maxPixels} px`, width, height);
  }
  let rgba: Uint8Array;
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      rgba = png.data;
    } else {
      const decoded = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: Math.ceil(maxPixels / 1e6),
        maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / (1024 * 1024)),
      });
      rgba = decoded.data;
    }
  } catch (cause) {
    throw new ImageDecodeError(`Decoding ${format} failed (${width} x ${height})`, { cause });
  }
  if (rgba.length !== width * height * 4) throw new ImageDecodeError(`Decoding ${format} failed: ${rgba.length} bytes for ${width} x ${height} RGBA`);
  const pixels = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < pixels.length; i++, j += 4) pixels[i] = Math.round((rgba[j]! + rgba[j + 1]! + rgba[j + 2]!) / 3);
  return { pixels, width, height };
}

/**
 * Encodes an 8-bit RGB (3 bytes per pixel) or grey (1 byte per pixel) row-major image as PNG.
 * @returns a new Buffer owned by the caller.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Buffer {
  if (pixels.length !== width * height * channels) {
    throw new InvalidInputError(`Encoding PNG failed: ${pixels.length} bytes do not make ${width} x ${height} x ${channels}`);
  }
  const png = new PNG({ width, height });
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    const k = i * channels;
    png.data[j] = pixels[k]!;
    png.data[j + 1] = pixels[channels === 3 ? k + 1 : k]!;
    png.data[j + 2] = pixels[channels === 3 ? k + 2 : k]!;
    png.data[j + 3] = 255;
  }
  return PNG.sync.write(png);
}
