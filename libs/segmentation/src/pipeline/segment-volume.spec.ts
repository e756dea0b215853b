import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChestPhantom } from '../../test-support/chest-phantom';
import { SegmentationModel } from '../inference/segmentation-model';
import { placeProbability } from '../postprocess/place-probability';
import { writeModelInput } from '../preprocess/model-input';
import { windowToUint8 } from '../preprocess/window';
import { quantify } from '../quantify/quantify';
import { segmentVolume, type SegmentVolumeProgress, type VolumeSegmentation } from './segment-volume';

const phantom = buildChestPhantom();
const plane = phantom.rows * phantom.columns;
const at = (x: number, y: number, z: number) => z * plane + y * phantom.columns + x;
let model: SegmentationModel;
let result: VolumeSegmentation;
const progress: SegmentVolumeProgress[] = [];

beforeAll(async () => {
  model = await SegmentationModel.load(join(__dirname, '../../test-support/tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 5 });
  // The tiny model marks anything brighter than the lung window's 0.6 (about -250 HU) as infection:
  // here the vessel, the lesion and the chest wall. Only what lies inside the lung may survive.
  result = await segmentVolume(model, phantom, { onProgress: (p) => progress.push(p) });
});
afterAll(() => model.release());

describe('segmentVolume', () => {
  it('runs the model only on slices with enough lung, and frames them', () => {
    const [first, last] = phantom.lungSlices;
    expect(result.slicesInferred).toBe(last - first + 1);
    expect(result.frames[0]).toBeNull();
    expect(result.frames[10]).toMatchObject({ x: expect.any(Number), width: expect.any(Number) });
  });

  it('keeps infection inside the lung mask', () => {
    for (let i = 0; i < result.infection.length; i++) if (result.infection[i]) expect(result.lungSide[i]).not.toBe(0);
    expect(result.quantification.infectionOutsideLungMl).toBe(0);
  });

  it('marks the dense vessel and lesion inside the lung, not the aerated parenchyma', () => {
    expect(result.infection[at(phantom.vessel.cx, phantom.vessel.cy, 10)]).toBe(1);
    expect(result.infection[at(phantom.lesion.cx - 3, phantom.lesion.cy, 10)]).toBe(1);
    expect(result.infection[at(phantom.rightLung.cx, phantom.rightLung.cy - 15, 10)]).toBe(0);
    expect(result.infection[at(phantom.leftLung.cx - 6, phantom.leftLung.cy + 10, 10)]).toBe(0);
  });

  it('equals the contract steps composed by hand, slice by slice', async () => {
    const c = model.contract;
    const s = c.inputSize;
    for (let z = 0; z < phantom.slices; z++) {
      const frame = result.frames[z];
      const expected = new Uint8Array(plane);
      if (frame) {
        const grey = windowToUint8(phantom.hu.subarray(z * plane, (z + 1) * plane), c.windowCenter, c.windowWidth);
        const input = new Float32Array(s * s);
        writeModelInput(grey, phantom.columns, frame, input, 0, s, 1);
        const prob = await model.predict(input, 1);
        placeProbability(prob, s, frame, c.threshold, new Float32Array(plane), expected, phantom.columns, result.lungSide.subarray(z * plane, (z + 1) * plane));
      }
      expect(result.infection.subarray(z * plane, (z + 1) * plane)).toEqual(expected);
    }
  });

  it('gives the same masks when it frees the model memory after the last batch, and the model still runs after', async () => {
    const freed = await segmentVolume(model, phantom, { releaseModelMemory: true });
    expect(freed.infection).toEqual(result.infection);
    expect(freed.lungSide).toEqual(result.lungSide);
    expect(freed.quantification).toEqual(result.quantification);
    const again = await segmentVolume(model, phantom);
    expect(again.infection).toEqual(result.infection);
  });

  it('calls onHuDone once, when the HU are never read again: wiping them there changes nothing (both regions)', async () => {
    for (const infectionRegion of ['lung', 'lung-hull'] as const) {
      const expected = infectionRegion === 'lung' ? result : await segmentVolume(model, phantom, { infectionRegion });
      const hu = phantom.hu.slice();
      let reads = 0;
      let calls = 0;
      const input = {
        ...phantom,
        get hu() {
          reads++;
          return hu;
        },
      };
      // A read after onHuDone would see water everywhere: no lung, no frames, no infection.
      const r = await segmentVolume(model, input, { infectionRegion, onHuDone: () => void (calls++, hu.fill(0)) });
      expect([calls, reads]).toEqual([1, 1]);
      expect(r.infection).toEqual(expected.infection);
      expect(r.lungSide).toEqual(expected.lungSide);
      expect(r.quantification).toEqual(expected.quantification);
    }
  });

  it('quantifies the returned masks with the volume spacing', () => {
    const q = quantify(result.infection, result.lungSide, phantom, result.lungSide);
    expect(result.quantification).toEqual(q);
    expect(q.voxelMl).toBeCloseTo((2 * 2 * 5) / 1000, 12);
    expect(q.lungMl).toBeGreaterThan(500);
    expect(q.percentInvolved).toBeGreaterThan(0);
    expect(q.percentInvolved).toBeLessThan(10);
    expect(q.right!.lungMl + q.left!.lungMl).toBeCloseTo(q.lungMl, 9);
  });

  it('stops between batches when its signal is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const seen: number[] = [];
    const run = segmentVolume(model, phantom, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage !== 'segment') return;
        seen.push(p.done);
        if (p.done >= 5) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    // Progress counts slices settled in z order: the lung-free slices before the first chunk included.
    expect(seen).toEqual([0, phantom.lungSlices[0] + 5]);
  });

  it('reports timings per stage and progress to the last slice', () => {
    const t = result.timings;
    for (const v of [t.lungMs, t.preprocessMs, t.inferMs, t.postprocessMs]) expect(v).toBeGreaterThanOrEqual(0);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.lungMs + t.inferMs);
    const segment = progress.filter((p) => p.stage === 'segment');
    // Chunks of 5 lung slices; each settles the slices up to its last one, and the last settles them all.
    const first = phantom.lungSlices[0];
    expect(segment.map((p) => p.done)).toEqual([0, first + 5, first + 10, first + 15, phantom.slices]);
    expect(segment.every((p) => p.total === phantom.slices)).toBe(true);
  });
});

describe('segmentVolume with a consolidation too wide for the lung mask closing', () => {
  // A 9 px (18 mm) radius dense lesion centred on the left lung's lateral wall: the mask's 4 mm
  // closing cannot bridge it; the hull-pocket step of the lung mask must.
  const big = buildChestPhantom({ lesionRadius: 9 });
  const insideLesion = at(big.lesion.cx - 6, big.lesion.cy, 10);
  const chestWall = at(big.lesion.cx + 6, big.lesion.cy, 10);

  it('keeps the consolidation inside the lung mask, and infected, with the default region', async () => {
    const r = await segmentVolume(model, big);
    expect(r.lungSide[insideLesion]).toBe(2);
    expect(r.infection[insideLesion]).toBe(1);
    expect(r.lungSide[chestWall]).toBe(0);
    expect(r.infection[chestWall]).toBe(0);
  });

  it('counts the consolidation as infected left lung with infectionRegion lung-hull, but not the chest wall', async () => {
    const confined = await segmentVolume(model, big);
    const r = await segmentVolume(model, big, { infectionRegion: 'lung-hull' });
    expect(r.infection[insideLesion]).toBe(1);
    expect(r.lungSide[insideLesion]).toBe(2);
    expect(r.infection[chestWall]).toBe(0);
    expect(r.quantification.infectionOutsideLungMl).toBe(0);
    // The default mask already holds the lesion: the hull can only add to it.
    expect(r.quantification.lungMl).toBeGreaterThanOrEqual(confined.quantification.lungMl);
    expect(r.quantification.left!.infectionMl).toBeGreaterThanOrEqual(confined.quantification.left!.infectionMl);
  });

  it('rejects an unknown infection region', async () => {
    await expect(segmentVolume(model, big, { infectionRegion: 'body' as never })).rejects.toThrow(/unknown infectionRegion "body"/);
  });
});
