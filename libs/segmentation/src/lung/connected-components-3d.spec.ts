import { describe, expect, it } from 'vitest';
import { KEPT_COMPONENT_BASE, keepLargestComponents3d } from './connected-components-3d';

/** 6 x 4 x 3 volume (columns x rows x slices) from per-slice row strings. */
function volume(slices: string[][]): Uint8Array {
  return Uint8Array.from(slices.flat().join('').split(''), (c) => (c === '#' ? 1 : 0));
}

describe('keepLargestComponents3d', () => {
  const v = () =>
    volume([
      ['##....', '##...#', '......', '....##'],
      ['##....', '.....#', '......', '......'],
      ['......', '......', '#.....', '......'],
    ]);

  it('marks the largest component, then the second when it is big enough, and drops the rest', () => {
    const mask = v();
    // Components: A = the block at the top left (4 voxels in slice 0, 2 in slice 1), B = the voxel pair at x=5
    // across slices 0 and 1, C = the pair at the bottom of slice 0, D = one voxel in slice 2. Ties keep the first found.
    const sizes = keepLargestComponents3d(mask, 6, 4, 2, 0.25);
    expect(sizes).toEqual([6, 2]);
    expect(mask[0]).toBe(KEPT_COMPONENT_BASE);
    expect(mask[6 + 5]).toBe(KEPT_COMPONENT_BASE + 1); // B, connected across slices 0 and 1
    expect(mask[24 + 6 + 5]).toBe(KEPT_COMPONENT_BASE + 1);
    expect(mask[3 * 6 + 4]).toBe(2); // C dropped
    expect(mask[48 + 2 * 6]).toBe(2); // D dropped
  });

  it('keeps only the largest when the second is under the ratio', () => {
    expect(keepLargestComponents3d(v(), 6, 4, 2, 0.5)).toEqual([6]);
  });

  it('keeps nothing in an empty volume', () => {
    expect(keepLargestComponents3d(new Uint8Array(24), 6, 4, 2, 0.1)).toEqual([]);
  });
});
