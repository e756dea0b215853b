import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChestPhantom } from '../../test-support/chest-phantom';
import { InvalidInputError } from '../errors';
import { SegmentationModel } from '../inference/segmentation-model';
import { windowToUint8 } from '../preprocess/window';
import { segmentVolume, type VolumeSegmentation } from './segment-volume';
import { frameVolumeForTraining, type FramedVolume } from './training-slices';

const phantom = buildChestPhantom();
const plane = phantom.rows * phantom.columns;
let model: SegmentationModel;
let served: VolumeSegmentation;
let framed: FramedVolume;

beforeAll(async () => {
  model = await SegmentationModel.load(join(__dirname, '../../test-support/tiny-covseg.onnx'), { intraOpThreads: 1 });
  served = await segmentVolume(model, phantom);
  framed = frameVolumeForTraining(phantom, model.contract);
});
afterAll(() => model.release());

describe('frameVolumeForTraining', () => {
  it('frames every slice exactly as segmentVolume frames it for the model, skipping the same slices', () => {
    expect(framed.frames).toEqual(served.frames);
    expect(framed.frames.some((f) => f === null)).toBe(true);
    expect(framed.frames.filter((f) => f !== null).length).toBe(served.slicesInferred);
  });

  it('crops the windowed slice and a labelmap to the frame', () => {
    const z = framed.frames.findIndex((f) => f !== null);
    const f = framed.frames[z]!;
    const grey = windowToUint8(phantom.hu.subarray(z * plane, (z + 1) * plane), model.contract.windowCenter, model.contract.windowWidth);
    const image = framed.windowedCrop(z);
    expect(image.length).toBe(f.width * f.height);
    const labelmap = new Uint8Array(phantom.hu.length);
    labelmap[z * plane + (f.y + 1) * phantom.columns + f.x + 2] = 7; // any non-zero is 1
    const mask = framed.crop(labelmap, z);
    for (let y = 0; y < f.height; y++) {
      for (let x = 0; x < f.width; x++) {
        expect(image[y * f.width + x]).toBe(grey[(f.y + y) * phantom.columns + f.x + x]);
        expect(mask[y * f.width + x]).toBe(y === 1 && x === 2 ? 1 : 0);
      }
    }
  });

  it('refuses a slice without a frame and a labelmap of another size', () => {
    const none = framed.frames.indexOf(null);
    expect(() => framed.windowedCrop(none)).toThrow(InvalidInputError);
    expect(() => framed.windowedCrop(phantom.slices)).toThrow(InvalidInputError);
    const z = framed.frames.findIndex((f) => f !== null);
    expect(() => framed.crop(new Uint8Array(plane), z)).toThrow(InvalidInputError);
    expect(() => frameVolumeForTraining({ ...phantom, hu: phantom.hu.subarray(1) }, model.contract)).toThrow(InvalidInputError);
  });
});
