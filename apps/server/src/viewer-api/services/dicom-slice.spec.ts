import { describe, expect, it } from 'vitest';
import { SeriesFactory } from '../../../../../tests/factories/series.factory';
import { DicomSliceRejectedError, prepareDicomSlice } from './dicom-slice';

const preparation = { windowCenter: -600, windowWidth: 1500, frameMargin: 0.05, minFrameMm: 100, minLungAreaMm2: 100 };
const sliceWith = (modify: (dataset: Record<string, unknown>) => void) => SeriesFactory.ct().size(64, 64).slices(1).modify(modify).build().files[0]!;

describe('prepareDicomSlice refuses what libs/dicom refuses, never guessing a default', () => {
  it('prepares a complete CT slice', async () => {
    const prepared = await prepareDicomSlice(sliceWith(() => undefined), preparation);
    expect([prepared.columns, prepared.rows, prepared.gray.length]).toEqual([64, 64, 64 * 64]);
  });

  it.each([
    ['RescaleSlope', /has no RescaleSlope/],
    ['RescaleIntercept', /has no RescaleIntercept/],
    ['PixelSpacing', /has PixelSpacing missing: two numbers from 0.05 to 10 mm are expected/],
  ])('refuses a slice without %s, naming it', async (keyword, message) => {
    const bytes = sliceWith((dataset) => delete dataset[keyword]);
    const refused = prepareDicomSlice(bytes, preparation);
    await expect(refused).rejects.toThrow(DicomSliceRejectedError);
    await expect(prepareDicomSlice(bytes, preparation)).rejects.toThrow(message);
  });

  it('refuses a zero slope and an implausible pixel spacing', async () => {
    await expect(prepareDicomSlice(sliceWith((dataset) => (dataset.RescaleSlope = 0)), preparation)).rejects.toThrow(/RescaleSlope "0"/);
    await expect(prepareDicomSlice(sliceWith((dataset) => (dataset.PixelSpacing = [1e-300, 1])), preparation)).rejects.toThrow(/PixelSpacing/);
  });
});
