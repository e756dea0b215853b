import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, ImageTooLargeError } from '../errors';
import { decodeGrayImage, encodePng } from './gray-image-io';

function rgbPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

describe('decodeGrayImage', () => {
  it('averages RGB to grey for a PNG', () => {
    const img = decodeGrayImage(rgbPng(3, 2, [30, 60, 91]));
    expect(img).toMatchObject({ width: 3, height: 2 });
    expect(Array.from(img.pixels)).toEqual([60, 60, 60, 60, 60, 60]);
  });

  it('round-trips a grey PNG written by encodePng', () => {
    const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const img = decodeGrayImage(encodePng(pixels, 4, 3, 1));
    expect(Array.from(img.pixels)).toEqual(Array.from(pixels));
  });

  it('decodes a JPEG to grey within JPEG error', () => {
    const data = new Uint8Array(16 * 8 * 4).fill(128);
    const bytes = jpeg.encode({ data, width: 16, height: 8 }, 95).data;
    const img = decodeGrayImage(bytes);
    expect(img).toMatchObject({ width: 16, height: 8 });
    img.pixels.forEach((v) => expect(Math.abs(v - 128)).toBeLessThanOrEqual(2));
  });

  it('refuses an image whose header claims more pixels than allowed, before decoding it', () => {
    // A tiny file that claims 60000 x 60000: its IHDR is patched, the data stays 1 x 1.
    const bomb = rgbPng(1, 1, [0, 0, 0]);
    bomb.writeUInt32BE(60000, 16);
    bomb.writeUInt32BE(60000, 20);
    expect(() => decodeGrayImage(bomb)).toThrow(ImageTooLargeError);
    expect(() => decodeGrayImage(rgbPng(100, 10, [0, 0, 0]), { maxSide: 64 })).toThrow(/100 x 10 exceeds 64 px/);
  });

  it('rejects bytes that are neither PNG nor JPEG, and a corrupt PNG', () => {
    expect(() => decodeGrayImage(new TextEncoder().encode('GIF89a....'))).toThrow(ImageDecodeError);
    const corrupt = rgbPng(8, 8, [1, 2, 3]).subarray(0, 40);
    expect(() => decodeGrayImage(corrupt)).toThrow(ImageDecodeError);
  });
});
