import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCtVolume,
  CtVolumeStream,
  type DicomInstance,
  FrameDecodePool,
  parseDicom,
  PixelDecodeError,
  SeriesRejectedError,
  UnsupportedTransferSyntaxError,
} from '@covseg/dicom';
import { lidcSlices } from '../support/lidc-fixture';

const fixtures = join(__dirname, '../fixtures/transfer-syntaxes');
const single = (file: string) => new Uint8Array(readFileSync(join(fixtures, file)));

/** Every fixture that holds one decodable CT/MR frame, whatever its transfer syntax. */
const decodable = [
  ...readdirSync(join(fixtures, 'cornerstone-ctimage'))
    .filter((f) => f.endsWith('.dcm') && !/Process(2_4|6_8|10_12)/.test(f))
    .map((f) => `cornerstone-ctimage/${f}`),
  ...readdirSync(join(fixtures, 'nema-wg04')).map((f) => `nema-wg04/${f}`),
];

/** HU of one instance the serial way: decodeFrame on this thread, then the Modality LUT as buildCtVolume applies it. */
async function serialHu(instance: DicomInstance): Promise<Int16Array> {
  const stored = await instance.decodeFrame(0);
  const slope = Number(instance.dataset.RescaleSlope ?? 1);
  const intercept = Number(instance.dataset.RescaleIntercept ?? 0);
  return Int16Array.from(stored, (v) => Math.max(-32768, Math.min(32767, Math.round(v * slope + intercept))));
}

/** Voxels that differ, -1 for another length (expect().toEqual on millions of voxels takes minutes). */
function differing(actual: Int16Array, expected: Int16Array): number {
  if (actual.length !== expected.length) return -1;
  let count = 0;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) count++;
  return count;
}

async function poolHu(pool: FrameDecodePool, instance: DicomInstance): Promise<Int16Array> {
  const frame = instance.encodedFrame(0)!;
  const target = new SharedArrayBuffer(instance.pixel!.rows * instance.pixel!.columns * 2);
  await pool.decodeInto({ ...frame, bytes: frame.bytes.slice() }, Number(instance.dataset.RescaleSlope ?? 1), Number(instance.dataset.RescaleIntercept ?? 0), target, 0);
  return new Int16Array(target);
}

async function streamed(files: Uint8Array[], pool: FrameDecodePool | undefined, expectedSlices?: number) {
  const stream = new CtVolumeStream({ pool, ...(expectedSlices ? { expectedSlices } : {}) });
  for (const bytes of files) await stream.add(bytes.slice());
  return stream.finish();
}

// One pool for the file, as the server keeps one for its lifetime.
const pool = new FrameDecodePool({ threads: 2 });
afterAll(async () => {
  await pool.close();
});

describe('decoding in worker threads', () => {

  it.each(decodable.filter((f) => parseDicom(single(f)).encodedFrame(0) !== undefined))('decodes %s to exactly the HU of the serial decoder', async (file) => {
    const instance = parseDicom(single(file));
    const expected = await serialHu(instance);
    expect(differing(await poolHu(pool, instance), expected)).toBe(0);
  });

  it.each(decodable.filter((f) => parseDicom(single(f)).nativeFrame(0) !== undefined))('decodes the native pixel data of %s in a worker to exactly the HU of the serial decoder', async (file) => {
    const instance = parseDicom(single(file));
    const expected = await serialHu(instance);
    const frame = instance.nativeFrame(0)!;
    const target = new SharedArrayBuffer(instance.pixel!.rows * instance.pixel!.columns * 2);
    await pool.decodeInto({ ...frame, bytes: frame.bytes.slice() }, Number(instance.dataset.RescaleSlope ?? 1), Number(instance.dataset.RescaleIntercept ?? 0), target, 0);
    expect(differing(new Int16Array(target), expected)).toBe(0);
  });

  it('refuses 12-bit lossy JPEG from a worker with the same error class as on the main thread', async () => {
    const instance = parseDicom(single('cornerstone-ctimage/JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm'));
    const error = await poolHu(pool, instance).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedTransferSyntaxError);
    expect((error as UnsupportedTransferSyntaxError).transferSyntaxUID).toBe('1.2.840.10008.1.2.4.51');
  });

  it('keeps decoding in a new pool after another was closed, as a server restarted in the same process does', async () => {
    const instance = parseDicom(single('nema-wg04/CT1_JPLL.dcm'));
    for (let round = 0; round < 2; round++) {
      const own = new FrameDecodePool({ threads: 1 });
      expect(differing(await poolHu(own, instance), await serialHu(instance))).toBe(0);
      await own.close();
    }
  });

  it('reports a corrupt JPEG 2000 codestream as a PixelDecodeError and keeps decoding afterwards', async () => {
    const instance = parseDicom(single('nema-wg04/CT1_J2KR.dcm'));
    const frame = instance.encodedFrame(0)!;
    const broken = frame.bytes.slice(0, 600);
    const error = await pool
      .decodeInto({ ...frame, bytes: broken }, 1, 0, new SharedArrayBuffer(instance.pixel!.rows * instance.pixel!.columns * 2), 0)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PixelDecodeError);
    expect(differing(await poolHu(pool, instance), await serialHu(instance))).toBe(0);
  });
});

describe('building a CT volume while the series streams in', () => {
  const files = lidcSlices(24, 40);
  let jpegLossless: Uint8Array[];
  let work: string;
  beforeAll(() => {
    // dcmtk's dcmcjpeg (JPEG Lossless SV1, PS3.5 A.4.1) makes a compressed copy of the same slices.
    work = mkdtempSync(join(tmpdir(), 'covseg-stream-'));
    jpegLossless = files.map((bytes, i) => {
      writeFileSync(join(work, `${i}.dcm`), bytes);
      execFileSync('dcmcjpeg', [join(work, `${i}.dcm`), join(work, `${i}.jpl.dcm`)]);
      return new Uint8Array(readFileSync(join(work, `${i}.jpl.dcm`)));
    });
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('gives the same HU, geometry and slice references as buildCtVolume, whatever the arrival order', async () => {
    const reference = await buildCtVolume(files.map((b) => parseDicom(b)));
    const shuffled = [...files].reverse();
    shuffled.push(...shuffled.splice(0, 7));
    const volume = await streamed(shuffled, pool, files.length);
    expect(differing(volume.hu, reference.hu)).toBe(0);
    expect(volume.geometry).toEqual(reference.geometry);
    expect(volume.slices).toEqual(reference.slices);
    expect(volume.header.SOPInstanceUID).toBe(reference.header.SOPInstanceUID);
  });

  it('hands uncompressed slices to a pool that takes them (off the calling thread), with the same HU; others keep them', async () => {
    const reference = await buildCtVolume(files.map((b) => parseDicom(b)));
    const taking = new FrameDecodePool({ threads: 2, uncompressed: true });
    try {
      const volume = await streamed(files, taking, files.length);
      expect(taking.framesHanded).toEqual({ native: files.length, encapsulated: 0 });
      expect(differing(volume.hu, reference.hu)).toBe(0);
      expect(volume.slices).toEqual(reference.slices);
    } finally {
      await taking.close();
    }
    const before = pool.framesHanded;
    expect(differing((await streamed(files, pool, files.length)).hu, reference.hu)).toBe(0);
    expect(pool.framesHanded).toEqual(before);
  });

  it('decodes a JPEG Lossless series in the pool to exactly the HU of the uncompressed series', async () => {
    expect(parseDicom(jpegLossless[0]!).transferSyntaxUID).toBe('1.2.840.10008.1.2.4.70');
    const reference = await buildCtVolume(files.map((b) => parseDicom(b)));
    const volume = await streamed([...jpegLossless].reverse(), pool, files.length);
    expect(differing(volume.hu, reference.hu)).toBe(0);
    expect(volume.slices.map((s) => s.sopInstanceUID)).toEqual(reference.slices.map((s) => s.sopInstanceUID));
  });

  it('grows past a wrong slice-count hint, or none, to the same volume', async () => {
    const reference = await buildCtVolume(files.map((b) => parseDicom(b)));
    expect(differing((await streamed(jpegLossless, pool, 5)).hu, reference.hu)).toBe(0);
    expect(differing((await streamed(files, undefined)).hu, reference.hu)).toBe(0);
    const large = await streamed(files, pool, 400);
    expect(differing(large.hu, reference.hu)).toBe(0);
    expect(large.hu.buffer.byteLength).toBe(reference.hu.byteLength);
  });

  it('starts over after reset, as a retried retrieval sends the series again', async () => {
    const reference = await buildCtVolume(files.map((b) => parseDicom(b)));
    const stream = new CtVolumeStream({ pool, expectedSlices: files.length });
    for (const bytes of jpegLossless.slice(0, 10)) await stream.add(bytes.slice());
    await stream.reset();
    for (const bytes of jpegLossless) await stream.add(bytes.slice());
    expect(differing((await stream.finish()).hu, reference.hu)).toBe(0);
  });

  it('refuses a series with a duplicate slice with the reason buildCtVolume gives', async () => {
    const error = await streamed([...files, files[3]!], pool).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeriesRejectedError);
    expect((error as SeriesRejectedError).reason).toBe('duplicate-position');
  });

  it('refuses too few slices before decoding anything', async () => {
    const error = await streamed(files.slice(0, 3), pool).catch((e: unknown) => e);
    expect((error as SeriesRejectedError).reason).toBe('too-few-slices');
  });

  it('fails on a slice whose compressed frame is corrupt, naming the decode failure', async () => {
    const broken = jpegLossless.map((bytes) => bytes.slice());
    const victim = broken[5]!;
    // Break the codestream's start-of-image marker (FF D8, ITU T.81 B.1.1.3): no JPEG decoder accepts that.
    const soi = Buffer.from(victim).indexOf(Buffer.from([0xff, 0xd8, 0xff]));
    expect(soi).toBeGreaterThan(128);
    victim[soi + 1] = 0x00;
    const error = await streamed(broken, pool).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PixelDecodeError);
    expect((error as PixelDecodeError).message).toContain(parseDicom(files[5]!).sopInstanceUID);
  });
});
