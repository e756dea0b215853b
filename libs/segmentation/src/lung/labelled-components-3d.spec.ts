import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { removeUnionComponentsSmallerThan3d } from './labelled-components-3d';

/** Reference: components of the union by a plain BFS over voxels, labels kept for the survivors. */
function reference(mask: Uint8Array, columns: number, rows: number, minVoxels: number): Uint8Array {
  const plane = columns * rows;
  const out = mask.slice();
  const seen = new Uint8Array(mask.length);
  for (let seed = 0; seed < mask.length; seed++) {
    if (mask[seed] === 0 || seen[seed]) continue;
    const component = [seed];
    seen[seed] = 1;
    for (let k = 0; k < component.length; k++) {
      const i = component[k]!;
      const x = i % columns, y = Math.floor((i % plane) / columns);
      const next = [x > 0 ? i - 1 : -1, x < columns - 1 ? i + 1 : -1, y > 0 ? i - columns : -1, y < rows - 1 ? i + columns : -1, i - plane, i + plane];
      for (const j of next) if (j >= 0 && j < mask.length && mask[j] !== 0 && !seen[j]) { seen[j] = 1; component.push(j); }
    }
    if (component.length < minVoxels) for (const i of component) out[i] = 0;
  }
  return out;
}

describe('removeUnionComponentsSmallerThan3d', () => {
  it('judges a lesion by its GGO and consolidation together and keeps each voxel label', () => {
    const columns = 6, rows = 5, slices = 3;
    const at = (x: number, y: number, z: number) => z * columns * rows + y * columns + x;
    const mask = new Uint8Array(columns * rows * slices);
    // A 2-voxel GGO speck; a lesion of 4 GGO + 2 consolidation voxels (each class alone is under 5).
    mask[at(0, 0, 0)] = 1; mask[at(1, 0, 0)] = 1;
    for (const x of [2, 3, 4, 5]) mask[at(x, 3, 1)] = 1;
    mask[at(4, 3, 2)] = 2; mask[at(5, 3, 2)] = 2;
    const removed = removeUnionComponentsSmallerThan3d(mask, columns, rows, 5);
    expect(removed).toBe(2);
    expect(mask[at(0, 0, 0)]).toBe(0);
    expect([at(2, 3, 1), at(3, 3, 1), at(4, 3, 1), at(5, 3, 1)].map((i) => mask[i])).toEqual([1, 1, 1, 1]);
    expect([mask[at(4, 3, 2)], mask[at(5, 3, 2)]]).toEqual([2, 2]);
    // The binary filter, run per value, would have dropped the lesion's consolidation (2 < 5 voxels of value 2).
  });

  it('matches a voxel-by-voxel reference on random labelled volumes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 9 }),
        fc.infiniteStream(fc.constantFrom(0, 0, 0, 1, 2)),
        (columns, rows, slices, minVoxels, values) => {
          const mask = Uint8Array.from(values.take(columns * rows * slices));
          const expected = reference(mask, columns, rows, minVoxels);
          removeUnionComponentsSmallerThan3d(mask, columns, rows, minVoxels);
          expect([...mask]).toEqual([...expected]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the plain BFS result on a 0/1 volume, returning the voxels removed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.infiniteStream(fc.constantFrom(0, 0, 1)), (minVoxels, values) => {
        const a = Uint8Array.from(values.take(5 * 4 * 3));
        const expected = reference(a, 5, 4, minVoxels);
        const removed = [...a].filter((v, i) => v !== 0 && expected[i] === 0).length;
        expect(removeUnionComponentsSmallerThan3d(a, 5, 4, minVoxels)).toBe(removed);
        expect([...a]).toEqual([...expected]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('removeUnionComponentsSmallerThan3d on a 0/1 volume (the binary model\'s infection)', () => {
  it('removes only the components below the voxel count and keeps the others intact', () => {
    const columns = 6, rows = 5, slices = 3;
    const mask = new Uint8Array(columns * rows * slices);
    const at = (x: number, y: number, z: number) => z * columns * rows + y * columns + x;
    // A 2-voxel speck and an 8-voxel block spanning two slices.
    mask[at(0, 0, 0)] = 1; mask[at(1, 0, 0)] = 1;
    for (const z of [1, 2]) for (const y of [2, 3]) for (const x of [3, 4]) mask[at(x, y, z)] = 1;
    const removed = removeUnionComponentsSmallerThan3d(mask, columns, rows, 3);
    expect(removed).toBe(2);
    expect(mask[at(0, 0, 0)]).toBe(0);
    expect(mask[at(1, 0, 0)]).toBe(0);
    expect([...mask].filter((v) => v === 1)).toHaveLength(8);
    expect([...mask].every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('leaves the mask alone when the minimum is one voxel or less', () => {
    const mask = Uint8Array.from([1, 0, 1, 0]);
    expect(removeUnionComponentsSmallerThan3d(mask, 2, 2, 1)).toBe(0);
    expect([...mask]).toEqual([1, 0, 1, 0]);
  });
});
