import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChestPhantom } from '../../test-support/chest-phantom';
import { SegmentationModel } from '../inference/segmentation-model';
import { placeProbability } from '../postprocess/place-probability';
import { writeModelInput } from '../preprocess/model-input';
import { windowToUint8 } from '../preprocess/window';
import { quantify } from '../quantify/quantify';
import { segmentVolume, type VolumeSegmentation } from './segment-volume';

// The tiny multi-class model: infection where the 3x3 mean of x = grey/255 is >= 0.6 (about -450 HU in
// the -600/1500 window), consolidation where it is >= 0.8 (about -150 HU). The phantom's ground glass
// is -300 HU, its vessel 40 HU.
const support = join(__dirname, '../../test-support');
const phantom = buildChestPhantom({ groundGlass: true });
const plane = phantom.rows * phantom.columns;
const at = (x: number, y: number, z: number) => z * plane + y * phantom.columns + x;
let multi: SegmentationModel;
let binary: SegmentationModel;
let result: VolumeSegmentation;
let binaryResult: VolumeSegmentation;

beforeAll(async () => {
  multi = await SegmentationModel.load(join(support, 'tiny-covseg-multiclass.onnx'), { intraOpThreads: 1, batchSize: 5 });
  binary = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 5 });
  result = await segmentVolume(multi, phantom);
  binaryResult = await segmentVolume(binary, phantom);
});
afterAll(async () => {
  await multi.release();
  await binary.release();
});

describe('segmentVolume with a multi-class model', () => {
  it('labels ground glass 1 and consolidation 2, aerated lung 0', () => {
    expect(result.multiClass).toBe(true);
    const g = phantom.groundGlass!;
    expect(result.infection[at(g.cx, g.cy, 10)]).toBe(1);
    expect(result.infection[at(phantom.vessel.cx, phantom.vessel.cy, 10)]).toBe(2);
    expect(result.infection[at(phantom.rightLung.cx, phantom.rightLung.cy - 15, 10)]).toBe(0);
    expect(binaryResult.multiClass).toBe(false);
    expect(new Set(binaryResult.infection)).toEqual(new Set([0, 1]));
  });

  it('gives exactly the binary model union: the new head never changes what is infection', () => {
    const union = result.infection.map((v) => (v !== 0 ? 1 : 0));
    expect(union).toEqual(binaryResult.infection);
    expect(result.quantification.infectionMl).toBe(binaryResult.quantification.infectionMl);
    expect(result.quantification.percentInvolved).toBe(binaryResult.quantification.percentInvolved);
  });

  it('equals the contract steps composed by hand, consolidation read where the union is on', async () => {
    const c = multi.contract;
    const s = c.inputSize;
    for (let z = 0; z < phantom.slices; z++) {
      const frame = result.frames[z];
      const expected = new Uint8Array(plane);
      if (frame) {
        const grey = windowToUint8(phantom.hu.subarray(z * plane, (z + 1) * plane), c.windowCenter, c.windowWidth);
        const input = new Float32Array(s * s);
        writeModelInput(grey, phantom.columns, frame, input, 0, s, 1);
        const { prob, consolidation } = await multi.predictOutputs(input, 1);
        placeProbability(prob, s, frame, c.threshold, new Float32Array(plane), expected, phantom.columns, result.lungSide.subarray(z * plane, (z + 1) * plane), {
          prob: consolidation!,
          threshold: c.consolidationThreshold!,
        });
      }
      expect(result.infection.subarray(z * plane, (z + 1) * plane)).toEqual(expected);
    }
  });

  it('quantifies each class for both lungs and each lung, adding up to the union', () => {
    const q = result.quantification;
    expect(q).toEqual(quantify(result.infection, result.lungSide, phantom, result.lungSide, { classes: true }));
    expect(q.classes!.ggo.volumeMl).toBeGreaterThan(0);
    expect(q.classes!.consolidation.volumeMl).toBeGreaterThan(0);
    expect(q.classes!.ggo.volumeMl + q.classes!.consolidation.volumeMl).toBeCloseTo(q.infectionMl, 9);
    expect(q.classes!.ggo.percentInvolved + q.classes!.consolidation.percentInvolved).toBeCloseTo(q.percentInvolved, 9);
    // The ground glass is in the left lung; the right lung's only finding is the vessel (dense: consolidation, GGO at its rim).
    expect(q.left!.classes!.ggo.volumeMl).toBeGreaterThan(q.right!.classes!.ggo.volumeMl);
    expect(q.right!.classes!.consolidation.volumeMl).toBeGreaterThan(0);
    expect(binaryResult.quantification.classes).toBeUndefined();
  });
});
