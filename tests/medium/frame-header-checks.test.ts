import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DicomInstance, DicomParseError, FrameDecodePool, parseDicom, PixelDecodeError } from '@covseg/dicom';
import { TAGS, type Tag, us, withValue } from '../support/dicom-edit';

/**
 * Lying headers around real compressed frames: the codestream is untouched, the DICOM header says another
 * Rows x Columns with the same number of pixels (so a sample count alone cannot tell), or another depth.
 * Every codec family with a fixture here; each lie must be refused on this thread and in the worker pool
 * alike, and the honest file must still decode to the same values both ways.
 */
const fixtures = join(__dirname, '../fixtures/transfer-syntaxes');
const bytesOf = (file: string) => new Uint8Array(readFileSync(join(fixtures, file)));

/** One fixture per codec and, where there is one, its uncompressed source (the lossless ones must match it exactly). */
const families: Array<[family: string, file: string, reference: string | undefined]> = [
  ['JPEG baseline (.50)', 'cornerstone-ctimage/JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', undefined],
  ['JPEG lossless (.57)', 'cornerstone-ctimage/JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm', 'cornerstone-ctimage/LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'],
  ['JPEG lossless SV1 (.70)', 'nema-wg04/CT1_JPLL.dcm', 'nema-wg04/CT1_UNC.dcm'],
  ['JPEG-LS lossless (.80)', 'nema-wg04/CT1_JLSL.dcm', 'nema-wg04/CT1_UNC.dcm'],
  ['JPEG-LS near-lossless (.81)', 'nema-wg04/CT2_JLSN.dcm', undefined],
  ['JPEG 2000 lossless (.90)', 'nema-wg04/CT1_J2KR.dcm', 'nema-wg04/CT1_UNC.dcm'],
  ['JPEG 2000 (.91)', 'nema-wg04/CT2_J2KI.dcm', undefined],
  ['HTJ2K lossless (.201)', 'htj2k/CT2_HTJ2KLossless.dcm', 'nema-wg04/CT2_UNC.dcm'],
  ['HTJ2K (.203)', 'htj2k/CT1_HTJ2K_lossy.dcm', undefined],
  ['RLE lossless (.5)', 'nema-wg04/CT2_RLE.dcm', 'nema-wg04/CT2_UNC.dcm'],
];

/** The file with these header values replaced (US values, Explicit VR Little Endian as all these fixtures are). */
function lyingCopy(file: string, values: Array<[Tag, number]>): Uint8Array {
  return values.reduce<Uint8Array>((bytes, [tag, value]) => withValue(bytes, tag, us(value)), bytesOf(file));
}

const BitsStored: Tag = [0x0028, 0x0101];
const PixelRepresentation: Tag = [0x0028, 0x0103];

/** Header lies that keep Rows x Columns x bytes per pixel, so the frame's byte count cannot betray them. */
const sizeLies: Array<[lie: string, values: Array<[Tag, number]>]> = [
  ['1024 rows of 256 columns', [[TAGS.Rows, 1024], [TAGS.Columns, 256]]],
  ['256 rows of 1024 columns', [[TAGS.Rows, 256], [TAGS.Columns, 1024]]],
];

let pool: FrameDecodePool | undefined;
afterAll(() => pool?.close());

/** Decodes frame 0 in the worker pool; HU as int16, or the pool's rejection. */
async function poolHu(instance: DicomInstance): Promise<Int16Array> {
  pool ??= new FrameDecodePool({ threads: 2 });
  const frame = instance.encodedFrame(0)!;
  const target = new SharedArrayBuffer(instance.pixel!.rows * instance.pixel!.columns * 2);
  await pool.decodeInto({ ...frame, bytes: frame.bytes.slice() }, Number(instance.dataset.RescaleSlope ?? 1), Number(instance.dataset.RescaleIntercept ?? 0), target, 0);
  return new Int16Array(target);
}

/** HU on this thread, rounded and clamped as the pool writes them. */
async function serialHu(instance: DicomInstance): Promise<Int16Array> {
  const slope = Number(instance.dataset.RescaleSlope ?? 1);
  const intercept = Number(instance.dataset.RescaleIntercept ?? 0);
  return Int16Array.from(await instance.decodeFrame(0), (v) => Math.max(-32768, Math.min(32767, Math.round(v * slope + intercept))));
}

function differing(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return -1;
  let count = 0;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) count++;
  return count;
}

/** Both decode paths refuse the instance with a PixelDecodeError that names it (its UID, nothing about the patient). */
async function expectRefusedBothWays(bytes: Uint8Array, message: RegExp): Promise<void> {
  const instance = parseDicom(bytes);
  const uid = new RegExp(instance.sopInstanceUID.replace(/\./g, '\\.'));
  const outcomes = await Promise.allSettled([instance.decodeFrame(0), poolHu(instance)]);
  for (const outcome of outcomes) {
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(PixelDecodeError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(uid);
    expect(error.message).not.toMatch(/\^/); // no PersonName (Family^Given) leaks into the message
  }
}

describe.each(families)('%s', (family, file, reference) => {
  it('decodes the honest file to the same HU on this thread and in the worker pool (and to its source when lossless)', async () => {
    const instance = parseDicom(bytesOf(file));
    const serial = await serialHu(instance);
    expect(differing(await poolHu(instance), serial)).toBe(0);
    expect(new Set(serial).size).toBeGreaterThan(50); // a real picture, not a flat frame
    if (reference) expect(differing(serial, await serialHu(parseDicom(bytesOf(reference))))).toBe(0);
  });

  it('is refused before decoding when the header says SamplesPerPixel 2 over half the rows (a monochrome-only parser)', () => {
    expect(() => parseDicom(lyingCopy(file, [[TAGS.Rows, 256], [TAGS.SamplesPerPixel, 2]]))).toThrow(DicomParseError);
  });
});

// RLE (PS3.5 Annex G) is left out here: it stores no image size, only byte segments of Rows x Columns
// each, so a header that swaps the shape and keeps the pixel count cannot be caught from the stream.
describe.each(families.filter(([family]) => !family.startsWith('RLE')))('%s under a header of another shape', (_family, file) => {
  it.each(sizeLies)('is refused when the header says %s, on this thread and in the pool', async (_lie, values) => {
    await expectRefusedBothWays(lyingCopy(file, values), /the codestream has 512 x 512 samples, the header says (256 x 1024|1024 x 256) \(columns x rows\)/);
  });
});

/** Depth lies: 16-bit frames said to hold 8-bit samples, the 8-bit JPEG said to be 16 bits allocated. */
describe.each(families)('%s under a header of another depth', (family, file) => {
  const eightBit = family.startsWith('JPEG baseline');
  const lie: Array<[Tag, number]> = eightBit ? [[TAGS.BitsAllocated, 16]] : [[TAGS.BitsAllocated, 8], [BitsStored, 8], [PixelRepresentation, 0]];
  const message = family.startsWith('RLE') ? /2 segments, expected 1/ : eightBit ? /8-bit samples, the header says 16 bits allocated/ : /1\d-bit samples, the header says 8 bits allocated/;

  it('is refused on this thread and in the pool', async () => {
    await expectRefusedBothWays(lyingCopy(file, lie), message);
  });
});
