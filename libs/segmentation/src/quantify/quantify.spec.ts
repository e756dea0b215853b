import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors';
import { quantify } from './quantify';

describe('quantify', () => {
  // 0.5 x 0.8 x 2.5 mm = 1 mm³ = 0.001 mL per voxel.
  const spacing = { rowSpacingMm: 0.5, columnSpacingMm: 0.8, sliceSpacingMm: 2.5 };

  it('computes lung and infection volumes in mL and the percentage involved, per side', () => {
    const lung = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const side = new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 0, 0]);
    const infection = new Uint8Array([1, 0, 0, 0, 1, 1, 1, 0, 0, 1]);
    const q = quantify(infection, lung, spacing, side);
    expect(q.voxelMl).toBeCloseTo(0.001, 12);
    expect(q.lungMl).toBeCloseTo(0.008, 12);
    expect(q.infectionMl).toBeCloseTo(0.004, 12);
    expect(q.percentInvolved).toBeCloseTo(50, 10);
    expect(q.infectionOutsideLungMl).toBeCloseTo(0.001, 12);
    expect(q.right).toEqual({ lungMl: expect.closeTo(0.004, 12), infectionMl: expect.closeTo(0.001, 12), percentInvolved: 25 });
    expect(q.left?.percentInvolved).toBe(75);
  });

  it('splits a multi-class infection into GGO and consolidation, whole and per side, the union unchanged', () => {
    const lung = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const side = new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 0, 0]);
    const labels = new Uint8Array([2, 1, 0, 0, 1, 2, 2, 0, 0, 2]);
    const q = quantify(labels, lung, spacing, side, { classes: true });
    // The union is what the binary reading gives.
    const binary = quantify(labels.map((v) => (v ? 1 : 0)), lung, spacing, side);
    expect(q.infectionMl).toBe(binary.infectionMl);
    expect(q.percentInvolved).toBe(binary.percentInvolved);
    expect(q.right?.infectionMl).toBe(binary.right?.infectionMl);
    // Whole lung: 2 GGO and 3 consolidation voxels of 8 lung voxels (the one outside the lung is not classed).
    expect(q.classes?.ggo.volumeMl).toBeCloseTo(0.002, 12);
    expect(q.classes?.ggo.percentInvolved).toBeCloseTo(25, 10);
    expect(q.classes?.consolidation.volumeMl).toBeCloseTo(0.003, 12);
    expect(q.classes?.consolidation.percentInvolved).toBeCloseTo(37.5, 10);
    expect(q.right?.classes?.ggo.percentInvolved).toBeCloseTo(25, 10);
    expect(q.right?.classes?.consolidation.percentInvolved).toBeCloseTo(25, 10);
    expect(q.left?.classes?.ggo.percentInvolved).toBeCloseTo(25, 10);
    expect(q.left?.classes?.consolidation.percentInvolved).toBeCloseTo(50, 10);
  });

  it('adds no classes for a binary reading, even of label 2', () => {
    const q = quantify(new Uint8Array([2, 1]), new Uint8Array([1, 1]), spacing, new Uint8Array([1, 2]));
    expect(q.classes).toBeUndefined();
    expect(q.right?.classes).toBeUndefined();
    expect(q.infectionMl).toBeCloseTo(0.002, 12);
  });

  it('reports 0 % involvement when there is no lung', () => {
    const q = quantify(new Uint8Array(4), new Uint8Array(4), spacing);
    expect(q.percentInvolved).toBe(0);
    expect(q.right).toBeUndefined();
  });

  it('counts every voxel whether or not the masks are 4-byte aligned, including a tail of fewer than 4', () => {
    // 1 mL per 1000 voxels; lung on every 3rd voxel, infection on every 5th (inside and outside the lung).
    const n = 1003;
    const buffer = new ArrayBuffer(2 * (n + 1));
    for (const offset of [0, 1]) {
      const lung = new Uint8Array(buffer, offset, n);
      const infection = new Uint8Array(buffer, n + 1 + offset, n);
      lung.fill(0);
      infection.fill(0);
      for (let i = 0; i < n; i += 3) lung[i] = 1;
      for (let i = 0; i < n; i += 5) infection[i] = 1;
      const q = quantify(infection, lung, spacing);
      expect(q.lungMl).toBeCloseTo(335 * 0.001, 12);
      expect(q.infectionMl).toBeCloseTo(67 * 0.001, 12); // multiples of 15 below 1003
      expect(q.infectionOutsideLungMl).toBeCloseTo((201 - 67) * 0.001, 12);
    }
  });

  it('rejects masks of different sizes', () => {
    expect(() => quantify(new Uint8Array(3), new Uint8Array(4), spacing)).toThrow(InvalidInputError);
  });
});
