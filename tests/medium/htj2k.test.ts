import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomwebClient, type DicomInstance, FrameDecodePool, parseDicom, PixelDecodeError } from '@covseg/dicom';
import { OrthancInstance } from '../support/orthanc';

/**
 * High-Throughput JPEG 2000 (PS3.5 A.4.11: .4.201 lossless, .4.202 lossless RPCL, .4.203): decoded by
 * OpenJPH (@cornerstonejs/codec-openjph). The fixtures were encoded by another implementation, Grok
 * (`grk_compress -M 64`, see tests/fixtures/transfer-syntaxes/ATTRIBUTION.md), from the uncompressed files.
 */
const fixtures = join(__dirname, '../fixtures/transfer-syntaxes');
const bytesOf = (file: string) => new Uint8Array(readFileSync(join(fixtures, file)));
const load = (file: string) => parseDicom(bytesOf(file));

const lossless: Array<[string, string]> = [
  ['htj2k/CTImage_HTJ2KLossless_1.2.840.10008.1.2.4.201.dcm', 'cornerstone-ctimage/LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'],
  ['htj2k/CT1_HTJ2KLossless.dcm', 'nema-wg04/CT1_UNC.dcm'],
  ['htj2k/CT2_HTJ2KLossless.dcm', 'nema-wg04/CT2_UNC.dcm'],
];
const LOSSY = 'htj2k/CT1_HTJ2K_lossy.dcm';

function differences(a: ArrayLike<number>, b: ArrayLike<number>) {
  expect(a.length).toBe(b.length);
  let count = 0;
  let max = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

/** The file with its single fragment's codestream replaced by `edit(codestream)` (length fields kept right). */
function withCodestream(file: string, edit: (codestream: Uint8Array) => Uint8Array): Uint8Array {
  const bytes = Buffer.from(bytesOf(file));
  const start = bytes.indexOf(Buffer.from([0xff, 0x4f, 0xff, 0x51]));
  const itemLength = bytes.readUInt32LE(start - 4);
  const edited = Buffer.from(edit(new Uint8Array(bytes.subarray(start, start + itemLength))));
  const padded = edited.length % 2 ? Buffer.concat([edited, Buffer.from([0])]) : edited;
  const header = Buffer.from(bytes.subarray(0, start));
  header.writeUInt32LE(padded.length, start - 4);
  return new Uint8Array(Buffer.concat([header, padded, bytes.subarray(start + itemLength)]));
}

describe('HTJ2K decoding', () => {
  it.each(lossless)('decodes %s to exactly the stored values of %s', async (file, reference) => {
    const instance = load(file);
    expect(instance.transferSyntaxUID).toBe('1.2.840.10008.1.2.4.201');
    expect(instance.encodedFrame(0)?.encoding).toBe('htj2k');
    const expected = await load(reference).decodeFrame(0);
    const actual = await instance.decodeFrame(0);
    expect(actual.constructor).toBe(expected.constructor);
    expect(differences(actual, expected)).toEqual({ count: 0, max: 0 });
    expect(new Set(expected).size).toBeGreaterThan(500); // a real image: a wrong decode would show
  });

  it('decodes a lossy (irreversible) .4.203 stream close to, but not exactly, its source', async () => {
    const instance = load(LOSSY);
    expect(instance.transferSyntaxUID).toBe('1.2.840.10008.1.2.4.203');
    expect(instance.dataset.LossyImageCompression).toBe('01');
    const { count, max } = differences(await instance.decodeFrame(0), await load('nema-wg04/CT1_UNC.dcm').decodeFrame(0));
    expect(count).toBeGreaterThan(0); // really lossy: proves the comparison can fail
    expect(max).toBeLessThanOrEqual(2);
  });

  it('decodes in worker threads exactly as on this thread', async () => {
    const pool = new FrameDecodePool({ threads: 2 });
    try {
      for (const file of [...lossless.map(([f]) => f), LOSSY]) {
        const instance: DicomInstance = load(file);
        const frame = instance.encodedFrame(0)!;
        const target = new SharedArrayBuffer(instance.pixel!.rows * instance.pixel!.columns * 2);
        const [slope, intercept] = [Number(instance.dataset.RescaleSlope ?? 1), Number(instance.dataset.RescaleIntercept ?? 0)];
        await pool.decodeInto({ ...frame, bytes: frame.bytes.slice() }, slope, intercept, target, 0);
        const serial = Array.from(await instance.decodeFrame(0), (v) => v * slope + intercept);
        expect(differences(new Int16Array(target), serial)).toEqual({ count: 0, max: 0 });
      }
    } finally {
      await pool.close();
    }
  });
});

describe('damaged or lying HTJ2K frames give a clear PixelDecodeError', () => {
  const file = lossless[1]![0];
  const setUint32 = (at: number, value: number) => (codestream: Uint8Array) => {
    const copy = codestream.slice();
    new DataView(copy.buffer).setUint32(at, value);
    return copy;
  };
  const cases: Array<[string, (codestream: Uint8Array) => Uint8Array, RegExp]> = [
    ['truncated to half', (c) => c.slice(0, c.length >> 1), /truncated/],
    ['cut inside its main header', (c) => c.slice(0, 30), /SIZ marker segment is truncated/],
    ['not a codestream at all', (c) => new Uint8Array(c.length).fill(7), /not a JPEG 2000 codestream/],
    ['claiming 60000 x 60000 samples', (c) => setUint32(12, 60000)(setUint32(8, 60000)(c)), /60000 x 60000 samples, the header says 512 x 512/],
    ['claiming 256 columns', setUint32(8, 256), /256 x 512 samples/],
    ['claiming unsigned samples', (c) => ((c = c.slice()), (c[42] = c[42]! & 0x7f), c), /unsigned samples, the header says PixelRepresentation 1/],
    ['claiming 8-bit samples', (c) => ((c = c.slice()), (c[42] = (c[42]! & 0x80) | 7), c), /8-bit samples, the header says 16 bits allocated/],
  ];

  it.each(cases)('a frame %s', async (_name, edit, message) => {
    const instance = parseDicom(withCodestream(file, edit));
    const failure = instance.decodeFrame(0);
    await expect(failure).rejects.toThrow(PixelDecodeError);
    await expect(failure).rejects.toThrow(message);
    // The codec is still usable afterwards.
    expect((await load(file).decodeFrame(0)).length).toBe(512 * 512);
  });
});

describe('an HTJ2K instance stored in a real Orthanc', () => {
  let orthanc: OrthancInstance;
  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
  });
  afterAll(() => orthanc?.destroy());

  it('is retrieved as stored over WADO-RS and decodes to the uncompressed values', async () => {
    const [file, reference] = lossless[0]!;
    const upload = await fetch(`${orthanc.restUrl}/instances`, { method: 'POST', body: Buffer.from(bytesOf(file)) });
    expect(upload.status).toBe(200);
    const stored = load(file);
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl });
    const study = String(stored.dataset.StudyInstanceUID);
    const series = String(stored.dataset.SeriesInstanceUID);
    const retrieved = parseDicom(await client.retrieveInstance(study, series, stored.sopInstanceUID, { transferSyntax: '*' }));
    expect(retrieved.transferSyntaxUID).toBe('1.2.840.10008.1.2.4.201');
    expect(differences(await retrieved.decodeFrame(0), await load(reference).decodeFrame(0))).toEqual({ count: 0, max: 0 });
  });
});
