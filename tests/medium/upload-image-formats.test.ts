import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom } from '@covseg/dicom';
import { lidcSlices } from '../support/lidc-fixture';
import { TestServer, startTestServer } from '../support/server';

interface SegmentImageResult {
  width: number;
  height: number;
  infectedFraction: number;
  imagePng: string;
  maskPng: string;
  inputFormat: string;
}

/** A LIDC slice through both lungs as the 8-bit lung-window grey (W1500 L-600) users export. */
async function lungWindowGrey(): Promise<{ grey: Uint8Array; width: number; height: number }> {
  const instance = parseDicom(lidcSlices(1, 60)[0]!);
  const stored = await instance.decodeFrame(0);
  const { rows, columns } = instance.pixel!;
  const intercept = Number(instance.dataset.RescaleIntercept);
  const grey = Uint8Array.from(stored, (v) => Math.max(0, Math.min(255, Math.round(((v + intercept + 1350) / 1500) * 255))));
  return { grey, width: columns, height: rows };
}

/** The grey samples of a 1-channel PNG data URL (sharp's raw output would widen grey to RGB without extractChannel). */
const pixelsOf = async (dataUrl: string) => sharp(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64')).extractChannel(0).raw().toBuffer();

describe('POST /api/segment-image with PNG, JPEG, TIFF and WebP, decoded by sharp', () => {
  let server: TestServer;
  let slice: Awaited<ReturnType<typeof lungWindowGrey>>;
  const upload = (bytes: Uint8Array, name: string) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return server.request('/api/segment-image', { method: 'POST', body: form });
  };

  beforeAll(async () => {
    slice = await lungWindowGrey();
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('segments the same slice identically from 8-bit PNG, 16-bit PNG, 16-bit TIFF and lossless WebP, and close to it from JPEG', async () => {
    const { grey, width, height } = slice;
    const grey8 = () => sharp(grey, { raw: { width, height, channels: 1 } });
    // 16-bit: v x 257 spans 0..65535 exactly as an export at full depth would; the server scales back by 257.
    const grey16 = () => sharp(Uint16Array.from(grey, (v) => v * 257), { raw: { width, height, channels: 1 } }).toColourspace('grey16');
    const lossless: Array<[string, Buffer, string]> = [
      ['slice.png', await grey8().png().toBuffer(), 'png'],
      ['slice16.png', await grey16().png().toBuffer(), 'png'],
      ['slice16.tif', await grey16().tiff({ compression: 'deflate' }).toBuffer(), 'tiff'],
      ['slice.webp', await grey8().webp({ lossless: true }).toBuffer(), 'webp'],
    ];
    const results: SegmentImageResult[] = [];
    for (const [name, bytes, format] of lossless) {
      const response = await upload(bytes, name);
      const body = (await response.json()) as SegmentImageResult;
      expect(response.status, `${name}: ${JSON.stringify(body)}`).toBe(200);
      expect(body).toMatchObject({ width, height, inputFormat: format });
      // What the model saw is exactly the slice, whatever the container and depth.
      expect(Buffer.from(await pixelsOf(body.imagePng)).equals(Buffer.from(grey)), name).toBe(true);
      results.push(body);
    }
    expect(results[0]!.infectedFraction).toBeGreaterThanOrEqual(0);
    for (const result of results.slice(1)) {
      expect(result.infectedFraction).toBe(results[0]!.infectedFraction);
      expect(result.maskPng).toBe(results[0]!.maskPng);
    }

    const jpeg = await upload(await grey8().jpeg({ quality: 95 }).toBuffer(), 'slice.jpg');
    const jpegBody = (await jpeg.json()) as SegmentImageResult;
    expect(jpeg.status).toBe(200);
    expect(jpegBody.inputFormat).toBe('jpeg');
    expect(Math.abs(jpegBody.infectedFraction - results[0]!.infectedFraction)).toBeLessThan(0.01);
  });

  it('refuses images that claim too many pixels with 413 before decoding them, and the server stays healthy', async () => {
    // A 1 x 1 PNG whose IHDR (CRC fixed) claims 60000 x 60000: 3.6 Gpx, 100 bytes on disk.
    const bomb = Buffer.from(await sharp(Buffer.from([0, 0, 0]), { raw: { width: 1, height: 1, channels: 3 } }).png().toBuffer());
    bomb.writeUInt32BE(60000, 16);
    bomb.writeUInt32BE(60000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    // Real, highly compressible images past the 4096 px side limit.
    const flat = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 9, g: 9, b: 9 } } });
    const tooLarge: Array<[string, Buffer]> = [
      ['bomb.png', bomb],
      ['wide.tif', await flat(6000, 100).tiff({ compression: 'deflate' }).toBuffer()],
      ['tall.webp', await flat(64, 6000).webp({ quality: 10 }).toBuffer()],
    ];
    for (const [name, bytes] of tooLarge) {
      expect(bytes.length, name).toBeLessThan(2 * 1024 * 1024);
      const response = await upload(bytes, name);
      expect(response.status, `${name}: ${await response.text()}`).toBe(413);
    }
    expect((await server.request('/api/health')).status).toBe(200);
  });

  it('refuses SVG and GIF with 415 (never handed to a decoder) and a truncated TIFF with 422', async () => {
    const svg = await upload(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><rect width="4000" height="4000"/></svg>'), 'a.svg');
    expect(svg.status).toBe(415);
    const gif = await upload(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).gif().toBuffer(), 'a.gif');
    expect(gif.status).toBe(415);
    const tiff = await sharp(slice.grey, { raw: { width: slice.width, height: slice.height, channels: 1 } }).tiff({ compression: 'deflate' }).toBuffer();
    const truncated = await upload(tiff.subarray(0, tiff.length >> 1), 'cut.tif');
    expect(truncated.status, await truncated.text()).toBe(422);
  });
});
