import { describe, expect, it } from 'vitest';
import { KEPT_COMPONENT_BASE, keepLargestComponents3d, removeComponentsSmallerThan3d } from './connected-components-3d';

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

describe('removeComponentsSmallerThan3d', () => {
  it('removes only the components below the voxel count and keeps the others intact', () => {
    const columns = 6, rows = 5, slices = 3;
    const mask = new Uint8Array(columns * rows * slices);
    const at = (x: number, y: number, z: number) => z * columns * rows + y * columns + x;
    // A 2-voxel speck and an 8-voxel block spanning two slices.
    mask[at(0, 0, 0)] = 1; mask[at(1, 0, 0)] = 1;
    for (const z of [1, 2]) for (const y of [2, 3]) for (const x of [3, 4]) mask[at(x, y, z)] = 1;
    const removed = removeComponentsSmallerThan3d(mask, columns, rows, 3);
    expect(removed).toBe(2);
    expect(mask[at(0, 0, 0)]).toBe(0);
    expect(mask[at(1, 0, 0)]).toBe(0);
    expect([...mask].filter((v) => v === 1)).toHaveLength(8);
    expect([...mask].every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('leaves the mask alone when the minimum is one voxel or less', () => {
    const mask = Uint8Array.from([1, 0, 1, 0]);
    expect(removeComponentsSmallerThan3d(mask, 2, 2, 1)).toBe(0);
    expect([...mask]).toEqual([1, 0, 1, 0]);
  });
});
