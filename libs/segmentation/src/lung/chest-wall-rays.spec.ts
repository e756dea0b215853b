import { describe, expect, it } from 'vitest';
import { ChestWallScratch, markLesionsToChestWall } from './chest-wall-rays';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from './lung-side';

// One 100 x 100 slice, 1 mm pixels: a right lung, a disc of radius 15 around (50, 50) (its mediastinum
// toward higher columns), soft tissue (40 HU) around it, and behind it (rows below 50) an arc of bone
// `gap` pixels beyond the lung's edge; optionally an arc of fat `fatAt` pixels beyond the edge.
function slice(gap: number, fatAt?: number): { side: Uint8Array; hu: Int16Array } {
  const { side, hu } = plane(gap, fatAt);
  // Three slices alike (the rays need a slice above and below); the middle one is looked at.
  const volume = new Int16Array(3 * 100 * 100);
  for (let z = 0; z < 3; z++) volume.set(hu, z * 100 * 100);
  return { side, hu: volume };
}

function plane(gap: number, fatAt?: number): { side: Uint8Array; hu: Int16Array } {
  const side = new Uint8Array(100 * 100);
  const hu = new Int16Array(100 * 100).fill(40);
  for (let y = 0; y < 100; y++) {
    for (let x = 0; x < 100; x++) {
      const r = Math.hypot(x - 50, y - 50);
      const i = y * 100 + x;
      if (r <= 15) {
        side[i] = LUNG_SIDE_RIGHT;
        hu[i] = -850;
      } else if (y > 50 && r >= 15 + gap && r < 17 + gap) hu[i] = 700;
      else if (y > 50 && fatAt !== undefined && r >= 15 + fatAt && r < 18 + fatAt) hu[i] = -100;
    }
  }
  return { side, hu };
}
const rule = { medialSign: 1, posteriorSign: 1, pixelMm: 1, sliceMm: 3 };

function marked(gap: number, fatRow?: number): number[] {
  const { side, hu } = slice(gap, fatRow);
  const marks = new Uint8Array(100 * 100);
  markLesionsToChestWall(side, hu, 1, 100, 100, LUNG_SIDE_RIGHT, rule, marks, new ChestWallScratch());
  const rows: number[] = [];
  for (let i = 0; i < marks.length; i++) if (marks[i]) rows.push(Math.floor(i / 100));
  return rows;
}

describe('markLesionsToChestWall', () => {
  it('marks the tissue between the lung and a rib 20 mm behind it, and nothing beyond the rib', () => {
    const rows = marked(20);
    expect(rows.length).toBeGreaterThan(200);
    expect(Math.min(...rows)).toBeGreaterThanOrEqual(50); // behind the lung only
    expect(Math.max(...rows)).toBeLessThan(85); // the bone arc starts 35 px behind the centre
  });

  it('marks nothing where the rib lies within a healthy chest wall (4 mm)', () => {
    expect(marked(4)).toEqual([]);
  });

  it('marks nothing where a fat layer separates the lung from the bone (extrapleural fat: chest wall, not lesion)', () => {
    expect(marked(20, 8)).toEqual([]);
  });

  it('casts no ray toward the mediastinum: bone 20 mm medial of the lung marks nothing', () => {
    const { side, hu } = slice(60); // the arc of bone is off the plane
    for (let z = 0; z < 3; z++) for (let y = 0; y < 100; y++) hu[z * 100 * 100 + y * 100 + 85] = 700;
    const marks = new Uint8Array(100 * 100);
    expect(markLesionsToChestWall(side, hu, 1, 100, 100, LUNG_SIDE_RIGHT, rule, marks, new ChestWallScratch())).toBe(0);
    // The same column of bone is lateral of a left lung (its mediastinum toward lower columns): reached.
    side.forEach((v, i) => (side[i] = v === LUNG_SIDE_RIGHT ? LUNG_SIDE_LEFT : v));
    expect(markLesionsToChestWall(side, hu, 1, 100, 100, LUNG_SIDE_LEFT, { ...rule, medialSign: -1 }, marks, new ChestWallScratch())).toBeGreaterThan(100);
  });

  it('counts bone on a neighbouring slice within reach: a ray cannot slip between two ribs', () => {
    const open = plane(60); // no bone on this slice's plane
    const ribs = plane(20);
    const hu = new Int16Array(3 * 100 * 100);
    hu.set(ribs.hu, 0);
    hu.set(open.hu, 100 * 100);
    hu.set(open.hu, 2 * 100 * 100);
    const marks = new Uint8Array(100 * 100);
    expect(markLesionsToChestWall(open.side, hu, 1, 100, 100, LUNG_SIDE_RIGHT, { ...rule, sliceMm: 5 }, marks, new ChestWallScratch())).toBeGreaterThan(200);
    marks.fill(0);
    // 15 mm away, the rib is out of reach (12 mm): and with no slice within reach at all, no ray is cast.
    expect(markLesionsToChestWall(open.side, hu, 1, 100, 100, LUNG_SIDE_RIGHT, { ...rule, sliceMm: 15 }, marks, new ChestWallScratch())).toBe(0);
  });

  it('casts no ray on a lone slice or an end slice: without a slice above and below, rib gaps stay open', () => {
    const lone = plane(20);
    const marks = new Uint8Array(100 * 100);
    expect(markLesionsToChestWall(lone.side, lone.hu, 0, 100, 100, LUNG_SIDE_RIGHT, rule, marks, new ChestWallScratch())).toBe(0);
    const { side, hu } = slice(20);
    expect(markLesionsToChestWall(side, hu, 0, 100, 100, LUNG_SIDE_RIGHT, rule, marks, new ChestWallScratch())).toBe(0);
    expect(markLesionsToChestWall(side, hu, 1, 100, 100, LUNG_SIDE_RIGHT, rule, marks, new ChestWallScratch())).toBeGreaterThan(200);
  });
});
