import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeLungMask, type CtVolumeInput, type LungMask, quantify, SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { loadLidcVolume } from '../../bench/segmentation-lidc-volume';

// The real 133-slice LIDC-IDRI-0001 chest CT (0.703 mm pixels, 2.5 mm slices), decoded by @covseg/dicom.
let volume: CtVolumeInput & { sliceZ: number[] };
let lung: LungMask;
let lungMs: number;

beforeAll(async () => {
  volume = await loadLidcVolume();
  const t = performance.now();
  lung = computeLungMask(volume.hu, volume, volume, { columnsIncreaseTowardPatientLeft: volume.columnsIncreaseTowardPatientLeft! });
  lungMs = performance.now() - t;
});

describe('lung mask and quantification on the LIDC-IDRI-0001 chest CT', () => {
  it('measures a plausible adult lung volume of a few litres, the right lung larger than the left', () => {
    const q = quantify(new Uint8Array(volume.hu.length), lung.mask, volume, lung.side);
    // Adult total lung volume at CT inspiration: about 3-7 L. This series measures about 3.9 L.
    expect(q.lungMl).toBeGreaterThan(3000);
    expect(q.lungMl).toBeLessThan(7000);
    expect(q.right!.lungMl).toBeGreaterThan(q.left!.lungMl);
    expect(q.left!.lungMl).toBeGreaterThan(0.35 * q.lungMl);
    expect(q.right!.lungMl + q.left!.lungMl).toBeCloseTo(q.lungMl, 6);
  });

  it('finds lung in the chest slices and none in the upper abdomen', () => {
    const plane = volume.rows * volume.columns;
    const areaCm2 = (z: number) => (lung.mask.subarray(z * plane, (z + 1) * plane).reduce((a, v) => a + v, 0) * volume.rowSpacingMm * volume.columnSpacingMm) / 100;
    // Slices are sorted feet to head; slice 0 is below the diaphragm, slice 66 mid-chest.
    expect(areaCm2(0)).toBe(0);
    expect(areaCm2(66)).toBeGreaterThan(150);
  });

  it('puts each lung on its side of the body: patient right at low columns for this orientation', () => {
    const plane = volume.rows * volume.columns;
    const z = 66;
    let rightX = 0, rightN = 0, leftX = 0, leftN = 0;
    for (let i = 0; i < plane; i++) {
      const s = lung.side[z * plane + i];
      if (s === 1) { rightX += i % volume.columns; rightN++; }
      if (s === 2) { leftX += i % volume.columns; leftN++; }
    }
    expect(volume.columnsIncreaseTowardPatientLeft).toBe(true);
    expect(rightX / rightN).toBeLessThan(volume.columns / 2);
    expect(leftX / leftN).toBeGreaterThan(volume.columns / 2);
  });

  it('computes the lung mask of 133 slices of 512 x 512 in a few seconds at most', () => {
    // The target on an idle machine is about 1 s (bench/segmentation.bench.ts prints it); the bound leaves room for a loaded CI box.
    expect(lungMs).toBeLessThan(8000);
  });
});

describe('segmentVolume on the LIDC-IDRI-0001 chest CT with the tiny test model', () => {
  let model: SegmentationModel;
  beforeAll(async () => {
    model = await SegmentationModel.load(join(__dirname, '../../libs/segmentation/test-support/tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 16 });
  });
  afterAll(() => model.release());

  it('frames the lung slices between 160 mm and the full field, and keeps infection inside the lung', async () => {
    const r = await segmentVolume(model, volume);
    expect(r.slicesInferred).toBeGreaterThan(60);
    expect(r.slicesInferred).toBeLessThan(volume.slices);
    const mid = r.frames[66]!;
    expect(mid.width * volume.columnSpacingMm).toBeGreaterThanOrEqual(160);
    expect(mid.width * volume.columnSpacingMm).toBeLessThanOrEqual(volume.columns * volume.columnSpacingMm);
    expect(r.quantification.infectionOutsideLungMl).toBe(0);
    expect(r.quantification.lungMl).toBeCloseTo(quantify(r.infection, lung.mask, volume).lungMl, 6);
    // The tiny model calls anything denser than about -250 HU infection: inside the lung mask, that is vessels and airway walls, a small share.
    expect(r.quantification.percentInvolved).toBeGreaterThan(0);
    expect(r.quantification.percentInvolved).toBeLessThan(25);
  });
});
