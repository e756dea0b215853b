import { describe, expect, it } from 'vitest';

import { dicomLabToRgb, rgbToDicomLab } from './cielab';

describe('CIELab colours', () => {
  it('maps white to L* 100 with neutral a* and b*', () => {
    const [L, a, b] = rgbToDicomLab([255, 255, 255]);
    expect(L).toBe(65535);
    // a* = b* = 0 scales to 128 * 65535 / 255 = 32896.
    expect(Math.abs(a - 32896)).toBeLessThanOrEqual(20);
    expect(Math.abs(b - 32896)).toBeLessThanOrEqual(20);
  });

  it('maps black to L* 0', () => {
    expect(rgbToDicomLab([0, 0, 0])[0]).toBe(0);
  });

  it('gets sRGB colours back within one step after a round trip', () => {
    for (const rgb of [[230, 80, 60], [80, 160, 230], [0, 255, 0], [128, 128, 128], [221, 130, 101]] as const) {
      const back = dicomLabToRgb(rgbToDicomLab(rgb));
      back.forEach((c, i) => expect(Math.abs(c - rgb[i])).toBeLessThanOrEqual(1));
    }
  });

  it('reads the CIELab value dcmqi stores for the liver as the sRGB Slicer uses for it (221, 130, 101)', () => {
    expect(dicomLabToRgb([41661, 41167, 40792])).toEqual([221, 130, 101]);
  });
});
