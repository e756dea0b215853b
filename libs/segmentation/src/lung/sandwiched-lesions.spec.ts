import { describe, expect, it } from 'vitest';
import { LUNG_SIDE_LEFT } from './lung-side';
import { markSandwichedLesions, SandwichScratch } from './sandwiched-lesions';

// Five 100 x 100 slices, 1 mm pixels, 5 mm apart: a left lung (air, -850 HU) in columns 10..59 and
// rows 20..79, the mediastinum (a solid 40 HU block, "the heart") from column 60 on, soft tissue
// elsewhere, the same on every slice. On the middle slice only, a half-disc lesion of 40 HU bites into
// the lung from the heart's border: the heart runs on above and below, the lesion has lung over it.
const N = 100;
const PLANE = N * N;
const rule = { pixelMm: 1, sliceMm: 5 };

function chest(slices = 5): { side: Uint8Array[]; hu: Int16Array } {
  const hu = new Int16Array(slices * PLANE).fill(40);
  const side: Uint8Array[] = [];
  for (let z = 0; z < slices; z++) {
    const s = new Uint8Array(PLANE);
    for (let y = 20; y < 80; y++) {
      for (let x = 10; x < 60; x++) {
        s[y * N + x] = LUNG_SIDE_LEFT;
        hu[z * PLANE + y * N + x] = -850;
      }
    }
    side.push(s);
  }
  return { side, hu };
}

/** Paints `value` HU on slice z where `inside(x, y)`, and takes those pixels out of the lung. */
function paint(c: { side: Uint8Array[]; hu: Int16Array }, z: number, value: number, inside: (x: number, y: number) => boolean): number {
  let n = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      if (!inside(x, y)) continue;
      c.hu[z * PLANE + y * N + x] = value;
      c.side[z]![y * N + x] = 0;
      n++;
    }
  }
  return n;
}

const halfDisc = (cx: number, cy: number, r: number) => (x: number, y: number) => x < 60 && Math.hypot(x - cx, y - cy) <= r;

function mark(c: { side: Uint8Array[]; hu: Int16Array }, z: number): { count: number; marks: Uint8Array } {
  const marks = new Uint8Array(PLANE);
  const count = markSandwichedLesions(c.side[z]!, c.hu, z, N, N, LUNG_SIDE_LEFT, rule, marks, new SandwichScratch(PLANE));
  return { count, marks };
}

describe('markSandwichedLesions', () => {
  it('marks a lesion against the heart that has lung above and below it, and nothing of the heart', () => {
    const c = chest();
    const lesion = paint(c, 2, 40, halfDisc(60, 50, 10));
    const { count, marks } = mark(c, 2);
    expect(count).toBe(lesion);
    for (let i = 0; i < PLANE; i++) if (marks[i]) expect(i % N).toBeLessThan(60);
  });

  it('marks a lesion on the diaphragm: lung above it, abdomen below', () => {
    const c = chest();
    // The slices below the middle one are solid (liver) where the lesion sits: only lung above.
    for (const z of [0, 1]) paint(c, z, 60, halfDisc(60, 50, 14));
    const lesion = paint(c, 2, 40, halfDisc(60, 50, 10));
    expect(mark(c, 2).count).toBe(lesion);
  });

  it('marks nothing where the solid tissue runs on above and below (a groove of the mediastinum)', () => {
    const c = chest();
    for (let z = 0; z < 5; z++) paint(c, z, 40, halfDisc(60, 50, 10));
    expect(mark(c, 2).count).toBe(0);
  });

  it('marks no thin sliver along the lung outline (pleura under an outline that shifts between slices)', () => {
    const c = chest();
    paint(c, 2, 40, (x, y) => y >= 20 && y < 80 && x >= 10 && x < 12);
    expect(mark(c, 2).count).toBe(0);
  });

  it('marks nothing beside a bronchus (air outside the lung within 4 mm: the hilum)', () => {
    const c = chest();
    paint(c, 2, 40, halfDisc(60, 50, 10));
    paint(c, 2, -950, (x, y) => x >= 61 && x < 64 && y >= 48 && y < 52); // the bronchus, in the mediastinum
    expect(mark(c, 2).count).toBe(0);
  });

  it('marks no fat and no enhanced blood or bone, only solid tissue', () => {
    for (const value of [-150, 200]) {
      const c = chest();
      paint(c, 2, value, halfDisc(60, 50, 10));
      expect(mark(c, 2).count).toBe(0);
    }
  });

  it('marks nothing on a lone slice or on the first and last slice', () => {
    const lone = chest(1);
    paint(lone, 0, 40, halfDisc(60, 50, 10));
    expect(mark(lone, 0).count).toBe(0);
    const c = chest();
    paint(c, 0, 40, halfDisc(60, 50, 10));
    paint(c, 4, 40, halfDisc(60, 50, 10));
    expect(mark(c, 0).count).toBe(0);
    expect(mark(c, 4).count).toBe(0);
  });
});
