import { beforeAll, describe, expect, it } from 'vitest';
import { computeLungMask, type CtVolumeInput, type LungMask } from '@covseg/segmentation';
import { loadLidcVolume } from '../../bench/segmentation-lidc-volume';
import { paintLesion, type LesionSite } from '../support/painted-lesions';

// Dense lesions painted into the real 133-slice LIDC-IDRI-0001 chest CT (0.703 mm pixels, 2.5 mm slices):
// consolidation (40 HU) replaces aerated lung at a site against the pleura (tests/support/painted-lesions.ts).
// The lung mask must keep the lesion as lung, on its own side, without taking in the chest wall, heart,
// liver or bone around it. Figures of every site on both LIDC series: bench/lung-mask-lesions.ts.
let volume: CtVolumeInput;
let lung: LungMask;
let lungVoxels: number;
const orientation = (v: CtVolumeInput) => ({
  columnsIncreaseTowardPatientLeft: v.columnsIncreaseTowardPatientLeft!,
  slicesIncreaseTowardHead: v.slicesIncreaseTowardHead!,
  rowsIncreaseTowardPosterior: v.rowsIncreaseTowardPosterior!,
});
const count = (mask: Uint8Array) => mask.reduce((n, v) => n + v, 0);

beforeAll(async () => {
  volume = await loadLidcVolume();
  lung = computeLungMask(volume.hu, volume, volume, orientation(volume));
  lungVoxels = count(lung.mask);
});

/** Paints the lesion, masks the sick volume, and returns the share of the lesion inside its lung and the mL the lung gained or lost elsewhere. */
function maskWithLesion(site: LesionSite): { inside: number; lesionMl: number; otherChangeMl: number; sick: LungMask; hu: Int16Array } {
  const lesion = paintLesion(volume, lung, site);
  const sick = computeLungMask(lesion.hu, volume, volume, orientation(volume));
  const inside = lesion.voxels.filter((i) => sick.side[i] === lesion.side).length;
  const voxelMl = (volume.rowSpacingMm * volume.columnSpacingMm * volume.sliceSpacingMm) / 1000;
  // Lung voxels now, less lung voxels before, less the lesion voxels kept: what changed elsewhere.
  const otherChangeMl = (count(sick.mask) - lungVoxels - (inside - lesion.voxels.length)) * voxelMl;
  return { inside: inside / lesion.voxels.length, lesionMl: lesion.voxels.length * voxelMl, otherChangeMl, sick, hu: lesion.hu };
}

describe('lung mask with dense lesions against the pleura (LIDC-IDRI-0001)', () => {
  it('keeps a 15 mm consolidation against the anterior chest wall inside the lung', () => {
    const { inside, lesionMl, otherChangeMl } = maskWithLesion('anterior');
    expect(lesionMl).toBeGreaterThan(4);
    // The mask before solid anterior bites kept 12 % (anterior hull pockets were all left out).
    expect(inside).toBeGreaterThan(0.85);
    expect(Math.abs(otherChangeMl)).toBeLessThan(2);
  });

  it('keeps a dependent consolidation that reaches the ribs inside the lung, and no bone or chest wall with it', () => {
    const { inside, lesionMl, otherChangeMl, sick, hu } = maskWithLesion('dependent');
    expect(lesionMl).toBeGreaterThan(20);
    // The lung's back 15 mm made solid over 27 slices: the aerated rest is flat-bottomed, with no pocket to fill.
    // The mask before the chest-wall rays kept 12 %.
    expect(inside).toBeGreaterThan(0.85);
    expect(Math.abs(otherChangeMl)).toBeLessThan(2);
    // No voxel of 200 HU or more (rib, spine) joins the lung: those inside it were there before (calcified
    // granulomas, vessel walls in filled holes).
    let joined = 0;
    for (let i = 0; i < hu.length; i++) if (sick.mask[i] !== 0 && lung.mask[i] === 0 && hu[i]! >= 200) joined++;
    expect(joined).toBe(0);
  });

  it('still keeps the posterolateral ball of consolidation inside (the hull pockets)', () => {
    expect(maskWithLesion('posterolateral').inside).toBeGreaterThan(0.85);
  });
});
