import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IMPLICIT_VR_LITTLE_ENDIAN, SeriesFactory } from '../../../../tests/factories/series.factory';
import { DicomError, DicomParseError, UnsupportedTransferSyntaxError } from '../errors';
import { parseDicom } from './parse-dicom';

/** Deflates the dataset after the file meta group, as PS3.5 A.5 says (dcmjs writes it uncompressed). */
function deflated(factory: SeriesFactory): Uint8Array {
  const bytes = factory.withTransferSyntax('1.2.840.10008.1.2.1.99').slices(1).build().files[0]!;
  const metaEnd = 132 + 12 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(132 + 8, true);
  return Buffer.concat([bytes.subarray(0, metaEnd), deflateRawSync(bytes.subarray(metaEnd))]);
}

function oneSlice(factory = SeriesFactory.ct()) {
  const series = factory.slices(1).build();
  return { bytes: series.files[0]!, series };
}

describe('parseDicom', () => {
  it('reads the naturalized dataset with keywords verbatim and without PixelData', () => {
    const { bytes, series } = oneSlice();
    const instance = parseDicom(bytes);
    expect(instance.dataset.SeriesInstanceUID).toBe(series.seriesInstanceUID);
    expect(instance.sopInstanceUID).toBe(series.instances[0]!.sopInstanceUID);
    expect(instance.dataset.PixelData).toBeUndefined();
    expect(instance.frames()).toBe(1);
  });

  it('decodes signed 16-bit stored values that give back the HU written', async () => {
    const { bytes, series } = oneSlice(SeriesFactory.ct().rescale(1, -1024));
    const stored = await parseDicom(bytes).decodeFrame(0);
    expect(stored).toBeInstanceOf(Int16Array);
    expect(Array.from(stored, (v) => v - 1024)).toEqual(Array.from(series.hu));
  });

  it('decodes Implicit VR Little Endian like Explicit', async () => {
    const { bytes, series } = oneSlice(SeriesFactory.ct().withTransferSyntax(IMPLICIT_VR_LITTLE_ENDIAN));
    const instance = parseDicom(bytes);
    expect(instance.transferSyntaxUID).toBe(IMPLICIT_VR_LITTLE_ENDIAN);
    expect(Array.from(await instance.decodeFrame(0), (v) => v - 1024)).toEqual(Array.from(series.hu));
  });

  it('returns unsigned 16-bit stored values as a Uint16Array', async () => {
    const { bytes } = oneSlice(SeriesFactory.ct().unsigned().rescale(1, -1024));
    const stored = await parseDicom(bytes).decodeFrame(0);
    expect(stored).toBeInstanceOf(Uint16Array);
    expect(Math.min(...stored)).toBe(24); // -1000 HU + 1024
  });

  it('ignores the bits above HighBit and sign-extends 12-bit signed values', async () => {
    const { bytes } = oneSlice(
      SeriesFactory.ct()
        .size(2, 2)
        .modify((ds) => {
          ds.BitsStored = 12;
          ds.HighBit = 11;
          // 0xF800 = -2048 in 12 bits; 0x17FF = garbage bit 12 over 2047; 0x2001 = 1; 0x0FFF = -1
          ds.PixelData = new Uint16Array([0xf800, 0x17ff, 0x2001, 0x0fff]).buffer;
        }),
    );
    expect(Array.from(await parseDicom(bytes).decodeFrame(0))).toEqual([-2048, 2047, 1, -1]);
  });

  it('decodes Deflated Explicit VR Little Endian', async () => {
    const bytes = deflated(SeriesFactory.ct().size(16, 16).withHu((x, y) => x * 10 + y - 1000));
    const stored = await parseDicom(bytes).decodeFrame(0);
    expect(stored[3 * 16 + 5]! - 1024).toBe(5 * 10 + 3 - 1000);
  });

  it('stops inflating a deflate bomb at maxInflatedBytes', () => {
    const bytes = deflated(SeriesFactory.ct().size(1024, 1024).withHu(() => -1024));
    expect(bytes.length).toBeLessThan(10_000);
    expect(() => parseDicom(bytes, { limits: { maxInflatedBytes: 1024 * 1024 } })).toThrow(/Inflating a deflated DICOM dataset failed/);
  });

  it('refuses bytes without the DICM prefix', () => {
    expect(() => parseDicom(new TextEncoder().encode('not a dicom file at all'))).toThrow(DicomParseError);
  });

  it('refuses a file whose pixel data was truncated', () => {
    const { bytes } = oneSlice();
    expect(() => parseDicom(bytes.subarray(0, bytes.length - 100))).toThrow(/\(7FE0,0010\) at offset \d+ declares 2048 bytes but only 1948 remain/);
  });

  it('refuses an element that declares an absurd length without allocating it', () => {
    const { bytes } = oneSlice();
    const damaged = bytes.slice();
    const pixelDataHeader = Buffer.from(damaged).indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57]));
    new DataView(damaged.buffer).setUint32(pixelDataHeader + 8, 0xfffffff0, true);
    expect(() => parseDicom(damaged)).toThrow(/declares 4294967280 bytes/);
  });

  it('refuses a 10000 x 10000 header before allocating its pixels', () => {
    const { bytes } = oneSlice(SeriesFactory.ct().modify((ds) => Object.assign(ds, { Rows: 10000, Columns: 10000 })));
    expect(() => parseDicom(bytes)).toThrow(/exceeds the limit of 16777216 pixels/);
  });

  it('refuses a 1 x 1 image', () => {
    const { bytes } = oneSlice(SeriesFactory.ct().size(1, 1));
    expect(() => parseDicom(bytes)).toThrow(/below the minimum 2 x 2/);
  });

  it('refuses Rows written with a string VR', () => {
    const { bytes } = oneSlice(SeriesFactory.ct().modify((ds) => Object.assign(ds, { Rows: 'many', _vrMap: { PixelData: 'OW', Rows: 'LO' } })));
    expect(() => parseDicom(bytes)).toThrow(DicomParseError);
  });

  it('reads a PixelSpacing or an IS that breaks the PS3.5 grammar as null, not as the digits left after stripping', () => {
    const { bytes } = oneSlice(SeriesFactory.ct().modify((ds) => Object.assign(ds, { PixelSpacing: ['0x10', '0.7'], InstanceNumber: '1e3', SliceThickness: ' +1.25E0 ' })));
    const { dataset } = parseDicom(bytes);
    expect(dataset.PixelSpacing).toEqual([null, 0.7]);
    expect(dataset.InstanceNumber).toBeNull();
    expect(dataset.SliceThickness).toBe(1.25);
  });

  it('refuses a blank or malformed SOPClassUID instead of taking the file meta one', () => {
    for (const value of ['', 'abc']) {
      const { bytes } = oneSlice(SeriesFactory.ct().modify((ds) => Object.assign(ds, { SOPClassUID: value })));
      expect(() => parseDicom(bytes)).toThrow(/SOPClassUID (is missing or empty|"abc" is not a UID)/);
    }
  });

  it('refuses an image whose PixelData is missing', () => {
    const { bytes } = oneSlice(SeriesFactory.ct().modify((ds) => delete ds.PixelData));
    expect(() => parseDicom(bytes)).toThrow(/has Rows\/Columns\/BitsAllocated but no PixelData/);
  });

  it('refuses an element with a VR that PS3.5 does not define', () => {
    const { bytes } = oneSlice();
    const damaged = bytes.slice();
    const bitsAllocated = Buffer.from(damaged).indexOf(Buffer.from([0x28, 0x00, 0x00, 0x01, 0x55, 0x53]));
    damaged.set([0x58, 0x58], bitsAllocated + 4); // "US" -> "XX"
    expect(() => parseDicom(damaged)).toThrow(/\(0028,0100\) at offset \d+ has the unknown VR "XX"/);
  });

  it('parses a non-image instance but refuses to decode a frame of it', async () => {
    const { bytes } = oneSlice(SeriesFactory.ct().modify((ds) => ['PixelData', 'Rows', 'Columns', 'BitsAllocated'].forEach((k) => delete ds[k])));
    const instance = parseDicom(bytes);
    expect(instance.hasPixelData()).toBe(false);
    expect(instance.frames()).toBe(0);
    await expect(instance.decodeFrame(0)).rejects.toThrow(/has no pixel data/);
  });

  it('refuses a frame index outside the instance', async () => {
    const { bytes } = oneSlice();
    await expect(parseDicom(bytes).decodeFrame(1)).rejects.toThrow(/has 1 frame/);
  });

  it('refuses an unknown transfer syntax clearly', () => {
    const { bytes } = oneSlice(SeriesFactory.ct().withTransferSyntax('1.2.840.10008.1.2.4.100'));
    expect(() => parseDicom(bytes)).toThrow(UnsupportedTransferSyntaxError);
  });

  it('fails with a DicomError, quickly, on any truncation or corruption of a valid file', async () => {
    const { bytes } = oneSlice(SeriesFactory.ct().size(8, 8));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { maxLength: 8 }), async (cut, edits) => {
        const damaged = bytes.slice(0, edits.length ? bytes.length : cut);
        for (const [at, value] of edits) damaged[at] = value;
        const started = performance.now();
        try {
          const instance = parseDicom(damaged);
          if (instance.frames() > 0) await instance.decodeFrame(0);
        } catch (error) {
          expect(error).toBeInstanceOf(DicomError);
        }
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 400, seed: 20261126 },
    );
  });
});
