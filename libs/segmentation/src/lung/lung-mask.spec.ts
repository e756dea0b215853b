import { describe, expect, it } from 'vitest';
import { buildChestPhantom } from '../../test-support/chest-phantom';
import { InvalidInputError } from '../errors';
import { computeLungMask, LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from './lung-mask';

const phantom = buildChestPhantom();
const { columns, rows, slices } = phantom;
const at = (x: number, y: number, z: number) => z * rows * columns + y * columns + x;
const spacing = { rowSpacingMm: 2, columnSpacingMm: 2, sliceSpacingMm: 5 };
const result = computeLungMask(phantom.hu, { columns, rows, slices }, spacing);

describe('computeLungMask', () => {
  it('keeps both lungs as two components and labels the low-column one patient right', () => {
    const z = 10;
    expect(result.components).toBe(2);
    expect(result.side[at(phantom.rightLung.cx - 8, 48, z)]).toBe(LUNG_SIDE_RIGHT);
    expect(result.side[at(phantom.leftLung.cx + 2, 48, z)]).toBe(LUNG_SIDE_LEFT);
  });

  it('swaps sides when columns increase toward the patient right', () => {
    const flipped = computeLungMask(phantom.hu, { columns, rows, slices }, spacing, { columnsIncreaseTowardPatientLeft: false });
    expect(flipped.side[at(phantom.rightLung.cx - 8, 48, 10)]).toBe(LUNG_SIDE_LEFT);
  });

  it('excludes the outside air, the body wall, the separate trachea and the bowel gas', () => {
    expect(result.mask[at(2, 2, 10)]).toBe(0);
    expect(result.mask[at(48, 48, 10)]).toBe(0); // mediastinum between the lungs
    expect(result.mask[at(48, 30, 0)]).toBe(0); // trachea
    expect(result.mask[at(55, 60, 22)]).toBe(0); // bowel gas
    for (let z = 0; z < phantom.lungSlices[0]; z++) expect(result.mask.subarray(z * rows * columns, (z + 1) * rows * columns).some((v) => v !== 0)).toBe(false);
  });

  it('fills the vessel inside the lung and pulls the pleura-based lesion into the lung', () => {
    expect(result.mask[at(phantom.vessel.cx, phantom.vessel.cy, 10)]).toBe(1);
    // The lesion's inner half (inside the original ellipse) must be lung; the chest wall beyond the ellipse must not.
    expect(result.mask[at(phantom.lesion.cx - 2, phantom.lesion.cy, 10)]).toBe(1);
    expect(result.side[at(phantom.lesion.cx - 2, phantom.lesion.cy, 10)]).toBe(LUNG_SIDE_LEFT);
    expect(result.mask[at(phantom.lesion.cx + 4, phantom.lesion.cy, 10)]).toBe(0);
  });

  it('measures the lung volume of the two ellipses within a few percent', () => {
    let ellipseVoxels = 0;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        for (const l of [phantom.rightLung, phantom.leftLung]) if (((x - l.cx) / l.rx) ** 2 + ((y - l.cy) / l.ry) ** 2 <= 1) ellipseVoxels++;
      }
    }
    ellipseVoxels *= phantom.lungSlices[1] - phantom.lungSlices[0] + 1;
    const maskVoxels = result.mask.reduce((a, v) => a + v, 0);
    expect(Math.abs(maskVoxels - ellipseVoxels) / ellipseVoxels).toBeLessThan(0.03);
  });

  it('splits one joined component at the midline', () => {
    // Join the lungs with an air bridge on every lung slice: one component, still split into two sides.
    const joined = phantom.hu.slice();
    for (let z = phantom.lungSlices[0]; z <= phantom.lungSlices[1]; z++) for (let x = 34; x <= 62; x++) joined[at(x, 30, z)] = -900;
    const r = computeLungMask(joined, { columns, rows, slices }, spacing);
    expect(r.components).toBe(1);
    expect(r.side[at(phantom.rightLung.cx, 60, 10)]).toBe(LUNG_SIDE_RIGHT);
    expect(r.side[at(phantom.leftLung.cx, 60, 10)]).toBe(LUNG_SIDE_LEFT);
  });

  it('removes the trachea where it joins the lungs into one component, but keeps it when asked', () => {
    // Trachea tube at (48, 30) down to slice 6, joined to both lungs by an air bridge on slice 5.
    const joined = phantom.hu.slice();
    for (let z = 0; z <= 6; z++) for (let y = 27; y <= 33; y++) for (let x = 45; x <= 51; x++) if ((x - 48) ** 2 + (y - 30) ** 2 <= 9) joined[at(x, y, z)] = -1000;
    for (let x = 34; x <= 62; x++) joined[at(x, 30, 5)] = -1000;
    const r = computeLungMask(joined, { columns, rows, slices }, spacing);
    expect(r.components).toBe(1);
    expect(r.mask[at(48, 30, 1)]).toBe(0);
    expect(r.mask[at(48, 30, 4)]).toBe(0);
    expect(r.mask[at(phantom.leftLung.cx, 48, 4)]).toBe(1);
    const kept = computeLungMask(joined, { columns, rows, slices }, spacing, { removeAirways: false });
    expect(kept.mask[at(48, 30, 1)]).toBe(1);
  });

  it('returns an empty mask for a volume without air inside the body', () => {
    const solid = new Int16Array(phantom.hu.length).fill(40);
    const r = computeLungMask(solid, { columns, rows, slices }, spacing);
    expect(r.components).toBe(0);
    expect(r.mask.some((v) => v !== 0)).toBe(false);
  });

  it('rejects a volume whose length disagrees with its dimensions', () => {
    expect(() => computeLungMask(new Int16Array(10), { columns, rows, slices }, spacing)).toThrow(InvalidInputError);
  });

  it.each([
    ['1e-300 mm in-plane (once a 1e301-pixel closing and an out-of-bounds write)', { rowSpacingMm: 1e-300, columnSpacingMm: 1e-300, sliceSpacingMm: 1 }],
    ['NaN', { rowSpacingMm: Number.NaN, columnSpacingMm: 1, sliceSpacingMm: 1 }],
    ['infinite slice spacing', { rowSpacingMm: 1, columnSpacingMm: 1, sliceSpacingMm: Number.POSITIVE_INFINITY }],
    ['50 mm in-plane', { rowSpacingMm: 50, columnSpacingMm: 50, sliceSpacingMm: 1 }],
  ])('rejects a voxel spacing of %s before any work', (_what, bad) => {
    expect(() => computeLungMask(phantom.hu, { columns, rows, slices }, bad)).toThrow(/outside 0.05-10 mm in-plane/);
  });
});
