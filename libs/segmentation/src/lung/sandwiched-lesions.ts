import { forEachRun, RunStack, spanFill } from './runs';
import { squareMorphology } from './morphology-2d';

/** Scratch buffers for markSandwichedLesions, sized for one plane; allocate once per volume. */
export class SandwichScratch {
  readonly lung: Uint8Array;
  readonly near: Uint8Array;
  readonly tmp: Uint8Array;
  /** Crop pixels waiting in the flood (each pushed once: it leaves band 1 when tested). */
  readonly queue: Int32Array;
  readonly runs = new RunStack();
  readonly stack = new RunStack();

  constructor(plane: number) {
    this.lung = new Uint8Array(plane);
    this.near = new Uint8Array(plane);
    this.tmp = new Uint8Array(plane);
    this.queue = new Int32Array(plane);
  }
}

export interface SandwichRule {
  /** Pixel size in mm (the smaller in-plane spacing). */
  pixelMm: number;
  /** Slice spacing in mm. */
  sliceMm: number;
}

/** Solid tissue: consolidation, muscle, unenhanced blood. Fat (below) and contrast or bone (above) are not lesions. */
const SOLID_MIN_HU = -100;
const SOLID_MAX_HU = 150;
/** Aerated lung on a neighbouring slice. */
const AIR_MAX_HU = -500;
/** How far above or below (mm) aerated lung must lie over a pixel: 20 mm, the half-height of a 40 mm lesion. */
const REACH_MM = 20;
/** How far from this slice's lung (mm, in-plane) a candidate may lie. */
const NEAR_MM = 20;
/** A candidate region holds at most this area (mm²): a 40 mm lesion's section is 1257 mm². */
const MAX_AREA_MM2 = 1300;
/** Smaller regions are left to the closing (mm²). */
const MIN_AREA_MM2 = 4;
/**
 * Mean thickness (2 x area / perimeter: a strip's width, a disc's radius) a region must reach (mm). The
 * pleura and chest wall along a lung outline that shifts from slice to slice pass every other test as
 * slivers: at 2 mm one healthy series (LIDC-IDRI-0002) gained 0.09 mL of them; at 3 mm none of the 11
 * series at hand gains a voxel.
 */
const MIN_THICKNESS_MM = 3;
/** A region with air outside this lung this close (mm) lies at a bronchus: the hilum, not a lesion. */
const AIRWAY_GAP_MM = 4;
/** Lung on at least this share of the region's rim (4-neighbour edges to this lung against all other edges). */
const MIN_LUNG_RIM = 0.3;

/**
 * Marks (in `marks`, 0/1 per pixel of the plane) dense lesions that lie against the mediastinum or the
 * diaphragm of lung `s` on slice z: solid tissue (-100..150 HU) within NEAR_MM of this lung that neither
 * the hull pockets (medial and large anterior pockets are anatomy there) nor the chest-wall rays add.
 * Such a lesion is told apart from the heart, the great vessels, the liver dome and the chest wall in
 * 3-D and by its shape: every pixel has aerated lung (< -500 HU) straight above or straight below it
 * within REACH_MM (a lesion on the heart or the dome has lung over it; the heart's and the aorta's
 * enhanced blood, bone and fat are not solid, and most of the mediastinum runs on for centimetres along
 * the body axis); a connected region of such pixels is marked when lung makes up at least MIN_LUNG_RIM
 * of its rim, it is no larger than MAX_AREA_MM2, at least MIN_THICKNESS_MM thick (the pleura and chest
 * wall under a lung outline that shifts between slices pass the other tests as slivers), and holds no
 * air outside this lung within AIRWAY_GAP_MM (a bronchus: hilar vessels and nodes lie along them).
 * Reads the HU of the neighbouring slices only, never their labels, so slices may be finished in any
 * order; the first and last slice (and a single uploaded slice) get nothing. Returns the pixels marked.
 * @param side the slice's labels (a view of one plane), read only.
 * @param hu the whole HU volume (slice-major); z the slice.
 */
export function markSandwichedLesions(side: Uint8Array, hu: Int16Array, z: number, columns: number, rows: number, s: number, rule: SandwichRule, marks: Uint8Array, scratch: SandwichScratch): number {
  const plane = columns * rows;
  const slices = hu.length / plane;
  if (z <= 0 || z >= slices - 1) return 0;
  const reach = Math.max(1, Math.round(REACH_MM / rule.sliceMm));
  const near = Math.max(1, Math.round(NEAR_MM / rule.pixelMm));
  let x0 = columns, x1 = -1, y0 = rows, y1 = -1;
  forEachRun(side, s, columns, (start, end) => {
    const x = start % columns;
    const y = (start - x) / columns;
    if (x < x0) x0 = x;
    if (x + end - start - 1 > x1) x1 = x + end - start - 1;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  });
  if (x1 < 0) return 0;
  x0 = Math.max(0, x0 - near);
  y0 = Math.max(0, y0 - near);
  x1 = Math.min(columns - 1, x1 + near);
  y1 = Math.min(rows - 1, y1 + near);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const { lung, near: band, tmp, runs, stack } = scratch;
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * columns + x0;
    for (let x = 0; x < w; x++) lung[y * w + x] = side[row + x] === s ? 1 : 0;
  }
  band.set(lung.subarray(0, w * h));
  squareMorphology(band, w, h, near, false, tmp);
  const base = z * plane;
  const zTop = Math.min(slices - 1, z + reach);
  const zBottom = Math.max(0, z - reach);
  const cropPlane = w * h;
  // band: 0 not a candidate (far, lung, the other lung, or tested and failed), 1 untested, 2 candidate.
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * columns + x0;
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (band[k] !== 0 && (lung[k] !== 0 || side[row + x] !== 0)) band[k] = 0;
    }
  }
  /** Tests crop pixel k (band 1): solid, with aerated lung straight above or below; the reads of other slices are the cost, so only pixels reached from the lung through candidates are tested. */
  const test = (k: number): boolean => {
    const y = (k - (k % w)) / w;
    const p = (y0 + y) * columns + x0 + (k - y * w);
    const v = hu[base + p]!;
    let ok = v >= SOLID_MIN_HU && v < SOLID_MAX_HU;
    if (ok) {
      let above = false;
      for (let zz = z + 1; zz <= zTop && !above; zz++) above = hu[zz * plane + p]! < AIR_MAX_HU;
      let below = false;
      for (let zz = z - 1; zz >= zBottom && !below && !above; zz--) below = hu[zz * plane + p]! < AIR_MAX_HU;
      ok = above || below;
    }
    band[k] = ok ? 2 : 0;
    return ok;
  };
  // A region is kept only with lung on part of its rim, so only candidates connected to the lung
  // matter: grow them from the lung's border (a flood through candidates), testing pixels on the way.
  const queue = scratch.queue;
  let top = 0;
  for (let k = 0; k < cropPlane; k++) {
    if (lung[k] === 0) continue;
    const x = k % w;
    if (x > 0 && band[k - 1] === 1 && test(k - 1)) queue[top++] = k - 1;
    if (x < w - 1 && band[k + 1] === 1 && test(k + 1)) queue[top++] = k + 1;
    if (k >= w && band[k - w] === 1 && test(k - w)) queue[top++] = k - w;
    if (k + w < cropPlane && band[k + w] === 1 && test(k + w)) queue[top++] = k + w;
  }
  const candidates = top;
  while (top > 0) {
    const k = queue[--top]!;
    const x = k % w;
    if (x > 0 && band[k - 1] === 1 && test(k - 1)) queue[top++] = k - 1;
    if (x < w - 1 && band[k + 1] === 1 && test(k + 1)) queue[top++] = k + 1;
    if (k >= w && band[k - w] === 1 && test(k - w)) queue[top++] = k - w;
    if (k + w < cropPlane && band[k + w] === 1 && test(k + w)) queue[top++] = k + w;
  }
  if (candidates === 0) return 0;
  const pixelMm2 = rule.pixelMm * rule.pixelMm;
  const maxArea = MAX_AREA_MM2 / pixelMm2;
  const minArea = MIN_AREA_MM2 / pixelMm2;
  const gap = Math.max(1, Math.round(AIRWAY_GAP_MM / rule.pixelMm));
  let marked = 0;
  for (let seed = band.indexOf(2); seed >= 0; seed = band.indexOf(2, seed + 1)) {
    runs.top = 0;
    const count = spanFill(band, w, cropPlane, seed, 2, 3, stack, runs);
    if (count > maxArea || count < minArea) continue;
    let lungEdges = 0;
    let otherEdges = 0;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const y = (start - (start % w)) / w;
      for (let i = start, x = start - y * w; i < runs.data[k + 1]!; i++, x++) {
        // Neighbours: lung, the region itself (band 3; 2 cannot border it), or anything else; the crop's edge counts as else.
        if (x === 0) otherEdges++;
        else if (lung[i - 1] === 1) lungEdges++;
        else if (band[i - 1] !== 3) otherEdges++;
        if (x === w - 1) otherEdges++;
        else if (lung[i + 1] === 1) lungEdges++;
        else if (band[i + 1] !== 3) otherEdges++;
        if (y === 0) otherEdges++;
        else if (lung[i - w] === 1) lungEdges++;
        else if (band[i - w] !== 3) otherEdges++;
        if (y === h - 1) otherEdges++;
        else if (lung[i + w] === 1) lungEdges++;
        else if (band[i + w] !== 3) otherEdges++;
      }
    }
    if (lungEdges < MIN_LUNG_RIM * (lungEdges + otherEdges)) continue;
    // Mean thickness (2 x area / perimeter, in mm): a sliver of pleura or chest wall along a lung outline that shifts from slice to slice is thin.
    if ((2 * count * rule.pixelMm) / (lungEdges + otherEdges) < MIN_THICKNESS_MM) continue;
    if (nearAirway(runs, w, h, gap, (ax, ay) => lung[ay * w + ax] !== 1 && hu[base + (y0 + ay) * columns + x0 + ax]! < AIR_MAX_HU)) continue;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const y = (start - (start % w)) / w;
      const row = (y0 + y) * columns + x0;
      for (let x = start - y * w; x < runs.data[k + 1]! - y * w; x++) marks[row + x] = 1;
      marked += runs.data[k + 1]! - start;
    }
  }
  return marked;
}

/** Whether a region (row runs in a w x h crop) has, within `gap` pixels along a row or column, a pixel where `air(x, y)`: a bronchus (the hilum). */
function nearAirway(runs: RunStack, w: number, h: number, gap: number, air: (x: number, y: number) => boolean): boolean {
  for (let k = 0; k < runs.top; k += 2) {
    const start = runs.data[k]!;
    const y = (start - (start % w)) / w;
    for (let x = start - y * w, end = runs.data[k + 1]! - y * w; x < end; x++) {
      for (let d = 1; d <= gap; d++) {
        if ((x + d < w && air(x + d, y)) || (x - d >= 0 && air(x - d, y)) || (y + d < h && air(x, y + d)) || (y - d >= 0 && air(x, y - d))) return true;
      }
    }
  }
  return false;
}
