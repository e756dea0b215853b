import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DicomInstance, parseDicom, UnsupportedTransferSyntaxError } from '@covseg/dicom';

const fixtures = join(__dirname, '../fixtures/transfer-syntaxes');
const load = (file: string) => parseDicom(new Uint8Array(readFileSync(join(fixtures, file))));

/** HU by the Modality LUT (PS3.3 C.11.1), computed here independently of buildCtVolume. */
async function huOf(instance: DicomInstance): Promise<Float64Array> {
  const stored = await instance.decodeFrame(0);
  const slope = Number(instance.dataset.RescaleSlope ?? 1);
  const intercept = Number(instance.dataset.RescaleIntercept ?? 0);
  return Float64Array.from(stored, (v) => v * slope + intercept);
}

function errors(actual: Float64Array, expected: Float64Array) {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    max = Math.max(max, e);
    sum += e;
  }
  return { max, mean: sum / expected.length };
}

interface Group {
  name: string;
  reference: string;
  lossless: string[];
  /** File, and the largest mean absolute HU error accepted. */
  lossy: Array<[string, number]>;
}

const groups: Group[] = [
  {
    name: 'cornerstone CTImage',
    reference: 'cornerstone-ctimage/LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm',
    lossless: [
      'cornerstone-ctimage/LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2.dcm',
      'cornerstone-ctimage/BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm',
      'cornerstone-ctimage/DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm',
      'cornerstone-ctimage/RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm',
      'cornerstone-ctimage/JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm',
      'cornerstone-ctimage/JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm',
      'cornerstone-ctimage/JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm',
      'cornerstone-ctimage/JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm',
    ],
    lossy: [
      ['cornerstone-ctimage/JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm', 5],
      ['cornerstone-ctimage/JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm', 5],
      ['cornerstone-ctimage/JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', 40],
    ],
  },
  ...(['CT1', 'CT2'] as const).map((image) => ({
    name: `NEMA WG04 ${image}`,
    reference: `nema-wg04/${image}_UNC.dcm`,
    lossless: ['RLE', 'JPLL', 'JLSL', 'J2KR'].map((variant) => `nema-wg04/${image}_${variant}.dcm`),
    lossy: [
      [`nema-wg04/${image}_JLSN.dcm`, 5],
      [`nema-wg04/${image}_J2KI.dcm`, 40],
    ] as Array<[string, number]>,
  })),
];

describe.each(groups)('decoding $name', ({ reference, lossless, lossy }) => {
  it.each(lossless)('decodes the lossless %s to exactly the HU of the uncompressed reference', async (file) => {
    const expected = await huOf(load(reference));
    const instance = load(file);
    expect(instance.transferSyntaxUID).not.toBe(load(reference).transferSyntaxUID);
    const actual = await huOf(instance);
    expect(actual.length).toBe(expected.length);
    expect(errors(actual, expected)).toEqual({ max: 0, mean: 0 });
  });

  it.each(lossy)('decodes the lossy %s within a mean error of %d HU of the reference', async (file, meanLimit) => {
    const expected = await huOf(load(reference));
    const { max, mean } = errors(await huOf(load(file)), expected);
    console.info(`${file}: max |ΔHU| ${max.toFixed(1)}, mean |ΔHU| ${mean.toFixed(2)}`);
    expect(mean).toBeGreaterThan(0); // really lossy: proves the comparison can fail
    expect(mean).toBeLessThan(meanLimit);
  });
});

describe('8-bit pixels in big endian', () => {
  it('decodes an 8-bit OW PixelData in Explicit VR Big Endian like its little-endian twin (PS3.5 A.3 swaps OW words)', async () => {
    const little = await load('derived/8bit-explicit-little-endian.dcm').decodeFrame(0);
    const big = load('derived/8bit-explicit-big-endian-ow.dcm');
    expect(big.transferSyntaxUID).toBe('1.2.840.10008.1.2.2');
    expect(big.pixel?.bitsAllocated).toBe(8);
    const decoded = await big.decodeFrame(0);
    expect(decoded.length).toBe(little.length);
    expect(decoded.filter((v, i) => v !== little[i]).length).toBe(0);
    expect(new Set(little).size).toBeGreaterThan(50); // a real image, so a missed swap would show
  });
});

describe('transfer syntaxes without a decoder', () => {
  it('refuses 12-bit lossy JPEG (process 2/4) at decode with UnsupportedTransferSyntaxError', async () => {
    const instance = load('cornerstone-ctimage/JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm');
    await expect(instance.decodeFrame(0)).rejects.toThrow(UnsupportedTransferSyntaxError);
  });

  it.each(['JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm', 'JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm'])(
    'refuses the retired %s at parse with UnsupportedTransferSyntaxError',
    (file) => {
      expect(() => load(`cornerstone-ctimage/${file}`)).toThrow(UnsupportedTransferSyntaxError);
    },
  );
});
