import { beforeAll, describe, expect, it } from 'vitest';
import { computeLungMask, type CtVolumeInput, type LungMask, LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT, quantify } from '@covseg/segmentation';
import { loadLidcVolume } from '../../bench/segmentation-lidc-volume';

// The real 133-slice LIDC-IDRI-0001 chest CT (0.703 mm pixels, 2.5 mm slices, slice 0 at the feet).
let volume: CtVolumeInput & { sliceZ: number[] };
let lung: LungMask;
let plane: number;
const orientation = (v: CtVolumeInput) => ({
  columnsIncreaseTowardPatientLeft: v.columnsIncreaseTowardPatientLeft!,
  slicesIncreaseTowardHead: v.slicesIncreaseTowardHead!,
  rowsIncreaseTowardPosterior: v.rowsIncreaseTowardPosterior!,
});

beforeAll(async () => {
  volume = await loadLidcVolume();
  plane = volume.rows * volume.columns;
  lung = computeLungMask(volume.hu, volume, volume, orientation(volume));
});

/** The 2-D blob (4-connected, HU below `hu`) through (x, y) on slice z, as plane indices. */
function blobAt(hu: Int16Array, columns: number, rows: number, z: number, x: number, y: number, below: number): number[] {
  const base = z * columns * rows;
  const seen = new Set<number>();
  const todo = [y * columns + x];
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (seen.has(i) || hu[base + i]! >= below) continue;
    seen.add(i);
    const px = i % columns;
    if (px > 0) todo.push(i - 1);
    if (px < columns - 1) todo.push(i + 1);
    if (i >= columns) todo.push(i - columns);
    if (i < (rows - 1) * columns) todo.push(i + columns);
  }
  return [...seen];
}

describe('lung mask on the LIDC-IDRI-0001 chest CT', () => {
  it('leaves the trachea out above the carina, where it abuts the right lung', () => {
    // The trachea lumen passes through (227, 250) on slices 100 and 104 (read off the images); there a
    // thin wall separates it from the right lung, and the -320 HU threshold merges the two.
    for (const z of [100, 104]) {
      const lumen = blobAt(volume.hu, volume.columns, volume.rows, z, 227, 250, -900);
      expect(lumen.length * volume.rowSpacingMm * volume.columnSpacingMm).toBeGreaterThan(100); // a real lumen, 1-4 cm²
      expect(lumen.length * volume.rowSpacingMm * volume.columnSpacingMm).toBeLessThan(400);
      expect(lumen.filter((i) => lung.mask[z * plane + i] !== 0)).toEqual([]);
    }
    // Without the airway step the same voxels are lung: this test can fail.
    const withAirways = computeLungMask(volume.hu, volume, volume, { ...orientation(volume), removeAirways: false });
    expect(withAirways.mask[100 * plane + 250 * volume.columns + 227]).toBe(1);
  });

  it('puts both lungs at plausible adult volumes, right larger than left, each on its own side on every slice', () => {
    const q = quantify(new Uint8Array(volume.hu.length), lung.mask, volume, lung.side);
    expect(q.lungMl).toBeGreaterThan(3000);
    expect(q.lungMl).toBeLessThan(7000);
    expect(q.right!.lungMl).toBeGreaterThan(1400);
    expect(q.left!.lungMl).toBeGreaterThan(1400);
    expect(q.right!.lungMl / q.left!.lungMl).toBeGreaterThan(1);
    expect(q.right!.lungMl / q.left!.lungMl).toBeLessThan(1.5);
    // On every slice, the right lung's mean column is below the left lung's (columns run to the patient's left).
    for (let z = 0; z < volume.slices; z++) {
      let r = 0, rn = 0, l = 0, ln = 0;
      for (let i = 0; i < plane; i++) {
        const s = lung.side[z * plane + i];
        if (s === LUNG_SIDE_RIGHT) { r += i % volume.columns; rn++; }
        else if (s === LUNG_SIDE_LEFT) { l += i % volume.columns; ln++; }
      }
      if (rn > 200 && ln > 200) expect(r / rn).toBeLessThan(l / ln);
    }
  });

  it('keeps a dense consolidation synthesised against the posterior pleura inside the lung', () => {
    // A 40 HU disc 15 mm in radius on slices 60-72, centred on the right lung's posterolateral edge
    // of slice 66 (its voxel furthest back and out, max of row - column): typical for COVID-19.
    const hu = volume.hu.slice();
    const z0 = 66;
    let cx = 0, cy = 0, best = -Infinity;
    for (let i = 0; i < plane; i++) {
      if (lung.side[z0 * plane + i] !== LUNG_SIDE_RIGHT) continue;
      const x = i % volume.columns;
      const y = (i - x) / volume.columns;
      if (y - x > best) { best = y - x; cx = x; cy = y; }
    }
    const r = 15 / volume.columnSpacingMm;
    const replaced: number[] = [];
    for (let z = 60; z <= 72; z++) {
      for (let y = Math.floor(cy - r); y <= cy + r; y++) {
        for (let x = Math.floor(cx - r); x <= cx + r; x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
          const i = z * plane + y * volume.columns + x;
          // Only aerated lung becomes consolidation: ribs and muscle keep their HU.
          if (lung.mask[i] !== 0 && volume.hu[i]! < -500) {
            hu[i] = 40;
            replaced.push(i);
          }
        }
      }
    }
    expect(replaced.length * volume.rowSpacingMm * volume.columnSpacingMm * volume.sliceSpacingMm).toBeGreaterThan(4000); // > 4 mL of lung made dense
    const sick = computeLungMask(hu, volume, volume, orientation(volume));
    const inside = replaced.filter((i) => sick.mask[i] !== 0 && sick.side[i] === LUNG_SIDE_RIGHT).length;
    // The mask before the hull pockets kept 34 % of it (staircase notches); now about 89 %. What stays
    // out is the lesion's rim beyond the chord of the hull: the costal surface there was convex.
    expect(inside / replaced.length).toBeGreaterThan(0.85);
    // And the lung did not swallow the chest wall behind it: 10 mm beyond the lesion's edge, back and out, is not lung.
    const out = (r + 10 / volume.columnSpacingMm) / Math.SQRT2;
    expect(sick.mask[z0 * plane + Math.round(cy + out) * volume.columns + Math.round(cx - out)]).toBe(0);
  });
});
