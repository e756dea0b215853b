import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors';
import { SegmentationModel } from '../inference/segmentation-model';
import { confusion, dice } from '../metrics/metrics';
import { segmentGrayImage } from './segment-gray-image';

let model: SegmentationModel;
beforeAll(async () => {
  model = await SegmentationModel.load(join(__dirname, '../../test-support/tiny-covseg.onnx'), { intraOpThreads: 1 });
});
afterAll(() => model.release());

/** Grey 60 background with a 240 disk; the tiny model calls a pixel infected when its neighbourhood is brighter than 0.6 * 255. */
function diskImage(width: number, height: number, cx: number, cy: number, r: number) {
  const pixels = new Uint8Array(width * height).fill(60);
  const truth = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
        pixels[y * width + x] = 240;
        truth[y * width + x] = 1;
      }
    }
  }
  return { pixels, width, height, truth };
}

describe('segmentGrayImage', () => {
  it('finds a bright disk in a non-square image of another size than the model input', async () => {
    const img = diskImage(150, 110, 50, 60, 20);
    const result = await segmentGrayImage(model, img);
    expect(result.mask).toHaveLength(150 * 110);
    expect(result.probability).toHaveLength(150 * 110);
    expect(dice(confusion(result.mask, img.truth))).toBeGreaterThan(0.9);
    expect(result.mask[60 * 150 + 50]).toBe(1);
    expect(result.mask[5 * 150 + 140]).toBe(0);
    const count = result.mask.reduce((a, v) => a + v, 0);
    expect(result.infectedFraction).toBeCloseTo(count / (150 * 110), 12);
  });

  it('thresholds the probability at the contract threshold', async () => {
    const img = diskImage(64, 64, 32, 32, 12);
    const { mask, probability } = await segmentGrayImage(model, img);
    for (let i = 0; i < mask.length; i++) expect(mask[i]).toBe(probability[i]! >= model.contract.threshold ? 1 : 0);
  });

  it('feeds the grey plane to every channel of a 3-channel model', async () => {
    const rgbModel = await SegmentationModel.load(join(__dirname, '../../test-support/tiny-covseg-3ch.onnx'), { intraOpThreads: 1 });
    const img = diskImage(120, 100, 60, 50, 25);
    const result = await segmentGrayImage(rgbModel, img);
    await rgbModel.release();
    expect(dice(confusion(result.mask, img.truth))).toBeGreaterThan(0.9);
  });

  it('returns an empty mask for a dark image', async () => {
    const { infectedFraction } = await segmentGrayImage(model, { pixels: new Uint8Array(40 * 30).fill(20), width: 40, height: 30 });
    expect(infectedFraction).toBe(0);
  });

  it('rejects pixels that do not match the stated size', async () => {
    await expect(segmentGrayImage(model, { pixels: new Uint8Array(10), width: 4, height: 4 })).rejects.toThrow(InvalidInputError);
  });
});

describe('segmentGrayImage with a multi-class model', () => {
  // The tiny multi-class model: infection where the 3x3 mean of grey/255 is >= 0.6, consolidation where it is >= 0.8.
  it('labels a 180-grey disk ground glass (1) and a 240-grey disk consolidation (2), the union as the binary model', async () => {
    const multi = await SegmentationModel.load(join(__dirname, '../../test-support/tiny-covseg-multiclass.onnx'), { intraOpThreads: 1 });
    const width = 160, height = 100;
    const pixels = new Uint8Array(width * height).fill(60);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if ((x - 40) ** 2 + (y - 50) ** 2 <= 15 ** 2) pixels[y * width + x] = 180; // 0.71: GGO
        if ((x - 115) ** 2 + (y - 50) ** 2 <= 15 ** 2) pixels[y * width + x] = 240; // 0.94: consolidation
      }
    }
    const r = await segmentGrayImage(multi, { pixels, width, height });
    const b = await segmentGrayImage(model, { pixels, width, height });
    await multi.release();
    expect(r.multiClass).toBe(true);
    expect(b.multiClass).toBe(false);
    expect(r.mask[50 * width + 40]).toBe(1);
    expect(r.mask[50 * width + 115]).toBe(2);
    expect(r.mask[5 * width + 5]).toBe(0);
    expect(r.mask.map((v) => (v ? 1 : 0))).toEqual(b.mask);
    expect(r.infectedFraction).toBe(b.infectedFraction);
    const ggo = r.mask.filter((v) => v === 1).length / r.mask.length;
    expect(r.classFractions!.ggo).toBeCloseTo(ggo, 12);
    expect(r.classFractions!.ggo + r.classFractions!.consolidation).toBeCloseTo(r.infectedFraction, 12);
    expect(b.classFractions).toBeUndefined();
  });
});
