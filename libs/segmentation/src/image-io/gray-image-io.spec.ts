import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, ImageTooLargeError, InvalidInputError } from '../errors';
import { decodeGrayImage, encodePng } from './gray-image-io';
import { detectImageFormat } from './image-header';

const rgbPixels = (width: number, height: number, rgb: [number, number, number]) => Buffer.from(Array.from({ length: width * height }, () => rgb).flat());
const rgbImage = (width: number, height: number, rgb: [number, number, number]) => sharp(rgbPixels(width, height, rgb), { raw: { width, height, channels: 3 } });

/** A real PNG whose IHDR claims `width x height` (CRC recomputed, so only the size lies): a decompression bomb. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await rgbImage(1, 1, [0, 0, 0]).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('decodeGrayImage', () => {
  // sharp's TIFF default is JPEG compression (lossy): the TIFFs here are LZW/deflate, lossless.
  it('averages RGB to grey for PNG, lossless WebP and TIFF alike', async () => {
    for (const encoded of [await rgbImage(3, 2, [30, 60, 91]).png().toBuffer(), await rgbImage(3, 2, [30, 60, 91]).webp({ lossless: true }).toBuffer(), await rgbImage(3, 2, [30, 60, 91]).tiff({ compression: 'lzw' }).toBuffer()]) {
      const img = await decodeGrayImage(encoded);
      expect(img).toMatchObject({ width: 3, height: 2 });
      expect(Array.from(img.pixels)).toEqual([60, 60, 60, 60, 60, 60]);
    }
  });

  it('round-trips a grey PNG written by encodePng, and keeps it one channel', async () => {
    const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const png = await encodePng(pixels, 4, 3, 1);
    expect((await sharp(png).metadata()).channels).toBe(1);
    expect(Array.from((await decodeGrayImage(png)).pixels)).toEqual(Array.from(pixels));
  });

  it('round-trips an RGB PNG written by encodePng', async () => {
    const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 10);
    const { data, info } = await sharp(await encodePng(rgb, 2, 2, 3)).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect(Array.from(data)).toEqual(Array.from(rgb));
  });

  it('scales 16-bit grey PNG and TIFF samples to 8 bits (v / 257), never keeping the low byte', async () => {
    const samples = new Uint16Array([0, 1000, 30000, 65535]);
    const expected = [0, 4, 117, 255];
    const grey16 = () => sharp(samples, { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('grey16');
    for (const encoded of [await grey16().png().toBuffer(), await grey16().tiff({ compression: 'deflate' }).toBuffer()]) {
      expect((await sharp(encoded).metadata()).depth).toBe('ushort');
      expect(Array.from((await decodeGrayImage(encoded)).pixels)).toEqual(expected);
    }
  });

  it('decodes a JPEG to grey within JPEG error', async () => {
    const img = await decodeGrayImage(await rgbImage(16, 8, [128, 128, 128]).jpeg({ quality: 95 }).toBuffer());
    expect(img).toMatchObject({ width: 16, height: 8 });
    img.pixels.forEach((v) => expect(Math.abs(v - 128)).toBeLessThanOrEqual(2));
  });

  it('refuses an image whose header claims more pixels than allowed, before decoding it', async () => {
    const bomb = await pngClaiming(60000, 60000);
    const error = await decodeGrayImage(bomb).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error).toMatchObject({ width: 60000, height: 60000 });
    await expect(decodeGrayImage(await rgbImage(100, 10, [0, 0, 0]).png().toBuffer(), { maxSide: 64 })).rejects.toThrow(/100 x 10 exceeds 64 px/);
    await expect(decodeGrayImage(await rgbImage(50, 50, [0, 0, 0]).webp().toBuffer(), { maxPixels: 2000 })).rejects.toBeInstanceOf(ImageTooLargeError);
  });

  it('rejects formats other than PNG, JPEG, TIFF and WebP without decoding them, and corrupt files', async () => {
    await expect(decodeGrayImage(new TextEncoder().encode('GIF89a....'))).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeGrayImage(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"/>'))).rejects.toThrow(/not a PNG, JPEG, TIFF or WebP/);
    const png = await rgbImage(8, 8, [1, 2, 3]).png().toBuffer();
    await expect(decodeGrayImage(png.subarray(0, 40))).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeGrayImage(png.subarray(0, png.length - 20))).rejects.toBeInstanceOf(ImageDecodeError);
    // A PNG signature in front of WebP bytes: the signature says PNG, the contents do not.
    const webp = await rgbImage(8, 8, [1, 2, 3]).webp().toBuffer();
    await expect(decodeGrayImage(Buffer.concat([png.subarray(0, 8), webp]))).rejects.toBeInstanceOf(ImageDecodeError);
  });
});

describe('encodePng', () => {
  it('refuses pixels that do not make width x height x channels', async () => {
    await expect(encodePng(new Uint8Array(5), 2, 2, 1)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('detectImageFormat', () => {
  it('names PNG, JPEG, TIFF (both byte orders) and WebP by signature, and nothing else', async () => {
    const image = () => rgbImage(2, 2, [9, 9, 9]);
    expect(detectImageFormat(await image().png().toBuffer())).toBe('png');
    expect(detectImageFormat(await image().jpeg().toBuffer())).toBe('jpeg');
    expect(detectImageFormat(await image().tiff().toBuffer())).toBe('tiff');
    expect(detectImageFormat(Uint8Array.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]))).toBe('tiff');
    expect(detectImageFormat(await image().webp().toBuffer())).toBe('webp');
    expect(detectImageFormat(await image().gif().toBuffer())).toBeUndefined();
    expect(detectImageFormat(new Uint8Array(0))).toBeUndefined();
  });
});
