import { describe, expect, it } from 'vitest';
import { computeLungFrame } from './frame';

const params = { frameMargin: 0.05, minFrameMm: 160, minLungAreaMm2: 500 };

function maskWithBox(columns: number, rows: number, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(columns * rows);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * columns + x] = 1;
  return m;
}

describe('computeLungFrame', () => {
  it('grows the lung bounding box by the margin on each side', () => {
    // 400 x 200 px box at 1 mm: margin 20 px and 10 px; the minimum of 160 mm is already met.
    const frame = computeLungFrame(maskWithBox(512, 512, 50, 100, 449, 299), 512, 512, { rowSpacingMm: 1, columnSpacingMm: 1 }, params);
    expect(frame).toEqual({ x: 30, y: 90, width: 440, height: 220 });
  });

  it('widens a small box to the minimum frame size in mm, centred, and clips it to the image', () => {
    // 60 x 60 px box (900 mm²) near the top-left corner at 0.5 mm/px: min frame 320 px centred on (40, 40), clipped at 0.
    const frame = computeLungFrame(maskWithBox(512, 512, 10, 10, 69, 69), 512, 512, { rowSpacingMm: 0.5, columnSpacingMm: 0.5 }, params);
    expect(frame).toEqual({ x: 0, y: 0, width: 200, height: 200 });
  });

  it('returns undefined when the lung area is under the minimum', () => {
    // 20 x 20 px at 1 mm = 400 mm² < 500 mm².
    expect(computeLungFrame(maskWithBox(64, 64, 0, 0, 19, 19), 64, 64, { rowSpacingMm: 1, columnSpacingMm: 1 }, params)).toBeUndefined();
    expect(computeLungFrame(new Uint8Array(64 * 64), 64, 64, { rowSpacingMm: 1, columnSpacingMm: 1 }, params)).toBeUndefined();
  });

  it('uses the column spacing for width and the row spacing for height', () => {
    const frame = computeLungFrame(maskWithBox(400, 400, 190, 190, 209, 209), 400, 400, { rowSpacingMm: 1, columnSpacingMm: 2 }, params)!;
    expect(frame.width).toBe(80);
    expect(frame.height).toBe(160);
  });

  it('finds the same frame whether or not it can skip empty 32-bit words', () => {
    // Box edges on every position within a word: x = 5..402, y = 7..300 (area well above the minimum).
    const aligned = maskWithBox(512, 512, 5, 7, 402, 300);
    aligned[300 * 512 + 403] = 1; // a single pixel right of the box, in the middle of a word
    const unaligned = new Uint8Array(new ArrayBuffer(aligned.length + 1), 1);
    unaligned.set(aligned);
    const spacing = { rowSpacingMm: 1, columnSpacingMm: 1 };
    const frame = computeLungFrame(aligned, 512, 512, spacing, params);
    expect(frame).toEqual(computeLungFrame(unaligned, 512, 512, spacing, params));
    expect(frame!.x + frame!.width).toBe(Math.ceil(404 + 0.05 * 399));
  });
});
