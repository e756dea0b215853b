import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PixelDecodeError } from '../errors';
import { decodeEncodedFrame, type EncodedFrame } from './decode-frame';
import { FrameDecodePool } from './decode-pool';
import { parseDicom } from './parse-dicom';

const fixtures = join(__dirname, '../../../../tests/fixtures/transfer-syntaxes');
const frameOf = (file: string): EncodedFrame => parseDicom(new Uint8Array(readFileSync(join(fixtures, file)))).encodedFrame(0)!;

/*
 * parseDicom refuses SamplesPerPixel other than 1 (monochrome CT only), so a file cannot bring this lie to
 * the decoder; a caller of FrameDecodePool.decodeInto hands over its own EncodedFrame, though. The decoders
 * check components against the frame's own description, on this thread and in the worker threads alike.
 */
describe.each([
  ['JPEG baseline', 'cornerstone-ctimage/JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm'],
  ['JPEG lossless', 'nema-wg04/CT1_JPLL.dcm'],
  ['JPEG-LS', 'nema-wg04/CT1_JLSL.dcm'],
  ['JPEG 2000', 'nema-wg04/CT1_J2KR.dcm'],
  ['HTJ2K', 'htj2k/CT1_HTJ2KLossless.dcm'],
  ['RLE', 'nema-wg04/CT1_RLE.dcm'],
])('a %s frame described as 2 samples per pixel over half the columns (same sample count)', (_family, file) => {
  const pool = new FrameDecodePool({ threads: 1 });
  afterAll(() => pool.close());

  it('is refused with a PixelDecodeError on this thread and in a worker thread', async () => {
    const frame = frameOf(file);
    const lying: EncodedFrame = { ...frame, pixel: { ...frame.pixel, samplesPerPixel: 2, columns: frame.pixel.columns / 2 } };
    await expect(decodeEncodedFrame(lying)).rejects.toThrow(PixelDecodeError);
    await expect(decodeEncodedFrame(lying)).rejects.toThrow(/SamplesPerPixel 2/);
    const target = new SharedArrayBuffer(frame.pixel.rows * frame.pixel.columns * 2);
    const inPool = pool.decodeInto({ ...lying, bytes: frame.bytes.slice() }, 1, 0, target, 0);
    await expect(inPool).rejects.toThrow(PixelDecodeError);
    await expect(inPool).rejects.toThrow(/SamplesPerPixel 2/);
    // The honest description still decodes.
    expect((await decodeEncodedFrame(frame)).length).toBe(frame.pixel.rows * frame.pixel.columns);
  });
});
