import { describe, expect, it } from 'vitest';
import { findLungsInGray, otsuThreshold } from './gray-lungs';

/** A 200 x 200 full-field picture: black air, a grey elliptic body, two dark lungs, and a table below with a long dark hollow. */
function picture(options: { table: boolean; lungGrey: number; bodyGrey: number }): Uint8Array {
  const w = 200;
  const p = new Uint8Array(w * w);
  const inE = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      if (inE(x, y, 100, 95, 80, 60)) v = options.bodyGrey;
      if (inE(x, y, 65, 95, 25, 40) || inE(x, y, 135, 95, 25, 40)) v = options.lungGrey;
      if (options.table && y >= 165 && y < 185 && x >= 10 && x < 190) v = y >= 170 && y < 180 && x >= 15 && x < 185 ? 5 : 200;
      p[y * w + x] = v;
    }
  }
  return p;
}

describe('findLungsInGray', () => {
  it.each([
    ['lung window with the table', { table: true, lungGrey: 60, bodyGrey: 220 }],
    ['soft-tissue window without the table', { table: false, lungGrey: 0, bodyGrey: 120 }],
  ])('finds both lungs and frames them in a %s, ignoring the table hollow', (_what, options) => {
    const found = findLungsInGray(picture(options), 200, 200, { margin: 0.05 })!;
    expect(found).toBeDefined();
    expect(found.alreadyFramed).toBe(false);
    expect(found.mask[95 * 200 + 65]).toBe(1);
    expect(found.mask[95 * 200 + 135]).toBe(1);
    expect(found.mask[95 * 200 + 100]).toBe(0); // mediastinum
    expect(found.mask[175 * 200 + 100]).toBe(0); // table hollow
    // Lungs span x 40-160, y 55-135: grown by 5 % per side.
    expect(found.frame.x).toBeGreaterThanOrEqual(32);
    expect(found.frame.x + found.frame.width).toBeLessThanOrEqual(168);
    expect(found.frame.y + found.frame.height).toBeLessThan(150);
  });

  it('leaves a picture cropped to the thorax alone: its border is body, not air', () => {
    const full = picture({ table: false, lungGrey: 60, bodyGrey: 220 });
    const crop = new Uint8Array(120 * 90);
    for (let y = 0; y < 90; y++) crop.set(full.subarray((50 + y) * 200 + 40, (50 + y) * 200 + 160), y * 120);
    expect(findLungsInGray(crop, 120, 90, { margin: 0.05 })).toBeUndefined();
  });

  it('finds nothing in a picture without dark regions inside the body', () => {
    expect(findLungsInGray(picture({ table: false, lungGrey: 220, bodyGrey: 220 }), 200, 200, { margin: 0.05 })).toBeUndefined();
  });

  it("puts Otsu's threshold between two grey levels", () => {
    const p = new Uint8Array(1000);
    p.fill(30, 0, 400);
    p.fill(200, 400);
    const t = otsuThreshold(p);
    expect(t).toBeGreaterThan(30);
    expect(t).toBeLessThanOrEqual(200);
  });
});
