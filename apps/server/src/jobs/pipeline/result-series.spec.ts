import { describe, expect, it } from 'vitest';
import { OUR_SEG_DESCRIPTION, OUR_SR_DESCRIPTION, keyImageSeriesDescription, runOfDescription, segSeriesDescription, seriesNumberOfRun, srSeriesDescription } from './result-series';

describe('result series naming', () => {
  it('names run 1 without a suffix and later runs with " run n", all distinct', () => {
    const names = [1, 2, 3].flatMap((run) => [segSeriesDescription('covseg-unet', '1.1.0', run), srSeriesDescription('covseg-unet', '1.1.0', run), keyImageSeriesDescription('covseg-unet', '1.1.0', run)]);
    expect(names.slice(0, 3)).toEqual(['covseg-unet 1.1.0 infection+lung', 'covseg-unet 1.1.0 measurements', 'covseg-unet 1.1.0 key images']);
    expect(names[3]).toBe('covseg-unet 1.1.0 infection+lung run 2');
    expect(new Set(names).size).toBe(names.length);
    expect([1, 2, 3].map((run) => seriesNumberOfRun(9000, run))).toEqual([9000, 9010, 9020]);
  });

  it('reads the run back only for the same model and kind', () => {
    expect(runOfDescription('covseg-unet 1.1.0 infection+lung', 'infection+lung', 'covseg-unet', '1.1.0')).toBe(1);
    expect(runOfDescription('covseg-unet 1.1.0 measurements run 12', 'measurements', 'covseg-unet', '1.1.0')).toBe(12);
    expect(runOfDescription('covseg-unet 1.0.0 infection+lung', 'infection+lung', 'covseg-unet', '1.1.0')).toBeUndefined();
    expect(runOfDescription('covseg-unet 1.1.0 measurements', 'infection+lung', 'covseg-unet', '1.1.0')).toBeUndefined();
    expect(runOfDescription('covseg-unet 1.1.0 infection+lung run 0', 'infection+lung', 'covseg-unet', '1.1.0')).toBeUndefined();
    expect(runOfDescription('other 1.1.0 infection+lung', 'infection+lung', 'covseg-unet', '1.1.0')).toBeUndefined();
  });

  it('never takes a reader correction (SEG or SR, "Corrected: …") for a result of a run', () => {
    expect(runOfDescription('Corrected: covseg-unet 1.1.0 measurements', 'measurements', 'covseg-unet', '1.1.0')).toBeUndefined();
    expect(runOfDescription('Corrected: covseg-unet 1.1.0 infection+lung', 'infection+lung', 'covseg-unet')).toBeUndefined();
    expect(OUR_SR_DESCRIPTION.test('Corrected: covseg-unet 1.1.0 measurements')).toBe(false);
    expect(OUR_SEG_DESCRIPTION.test('Corrected: covseg-unet 1.1.0 infection+lung')).toBe(false);
  });

  it('keeps descriptions within LO (64 characters) with the kind and run at the end', () => {
    const long = segSeriesDescription('m'.repeat(60), '1.0.0', 7);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long.endsWith(' infection+lung run 7')).toBe(true);
    expect(OUR_SEG_DESCRIPTION.test(segSeriesDescription('covseg-unet', '1.1.0', 3))).toBe(true);
  });
});
