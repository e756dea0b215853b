import { describe, expect, it } from 'vitest';
import { resizeBilinear } from './resize';

// Expected values from torch 1.13: F.interpolate(x, size, mode='bilinear', align_corners=False).
describe('resizeBilinear', () => {
  it('matches torch when upsampling a 3x2 plane to 5x3', () => {
    const src = new Float32Array([0, 10, 20, 30, 40, 50]);
    const dst = new Float32Array(15);
    resizeBilinear(src, 3, { x: 0, y: 0, width: 3, height: 2 }, dst, 5, 3);
    const torch = [0, 4, 10, 16, 20, 15, 19, 25, 31, 35, 30, 34, 40, 46, 50];
    torch.forEach((v, i) => expect(dst[i]).toBeCloseTo(v, 4));
  });

  it('matches torch when downsampling a 4x4 ramp to 2x2 and to 2x3', () => {
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    const a = new Float32Array(4);
    resizeBilinear(src, 4, { x: 0, y: 0, width: 4, height: 4 }, a, 2, 2);
    expect(Array.from(a)).toEqual([2.5, 4.5, 10.5, 12.5]);
    const b = new Float32Array(6);
    resizeBilinear(src, 4, { x: 0, y: 0, width: 4, height: 4 }, b, 2, 3);
    [1.1666667, 3.1666667, 6.5, 8.5, 11.833334, 13.833334].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
  });

  it('resizes only the given region of an 8-bit plane and applies the scale', () => {
    // 4x4 plane whose 2x2 block at (1,1) is 255; the rest 0. Resizing just that block gives all 1.0 at scale 1/255.
    const src = new Uint8Array(16);
    for (const i of [5, 6, 9, 10]) src[i] = 255;
    const dst = new Float32Array(9);
    resizeBilinear(src, 4, { x: 1, y: 1, width: 2, height: 2 }, dst, 3, 3, { scale: 1 / 255 });
    dst.forEach((v) => expect(v).toBeCloseTo(1, 6));
  });

  it('writes at the destination offset and leaves the rest alone', () => {
    const dst = new Float32Array(6).fill(-1);
    resizeBilinear(new Uint8Array([7]), 1, { x: 0, y: 0, width: 1, height: 1 }, dst, 2, 1, { dstOffset: 3 });
    expect(Array.from(dst)).toEqual([-1, -1, -1, 7, 7, -1]);
  });

  it('rejects a region outside the plane', () => {
    expect(() => resizeBilinear(new Uint8Array(16), 4, { x: 3, y: 0, width: 2, height: 2 }, new Float32Array(4), 2, 2)).toThrow(/outside the 4x4 plane/);
  });
});
