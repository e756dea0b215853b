import { RunStack, runsBoundingBox, spanFill } from './runs';

/** Scratch buffers for markSandwichedLesions, sized for one plane; allocate once per volume. */
export class SandwichScratch {
  /** Per pixel of the plane: 0 untested, 1 not a candidate, 2 candidate, 3 in a region looked at, 4 in a region too large; all 0 between calls. */
  readonly band: Uint8Array;
  /** The pixels tested in this call (to clear `band` after it), then the candidates among them. */
  readonly tested: Int32Array;
  /** Candidates waiting in the flood (each pushed once: it leaves band 0 when tested). */
  readonly queue: Int32Array;
  /** The candidates of the region being grown. */
  readonly component: Int32Array;
  readonly lungRuns = new RunStack();
  readonly runs = new RunStack();
  readonly stack = new RunStack();

  constructor(plane: number) {
    this.band = new Uint8Array(plane);
    this.tested = new Int32Array(plane);
    this.queue = new Int32Array(plane);
    this.component = new Int32Array(plane);
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
/**
 * Slices are read this far apart (mm; every slice when they are further apart), from the nearest one on:
 * the aerated lung over a lesion is centimetres thick, and the reads of other slices are most of the
 * rule's cost (32 per chest-wall pixel beside the lung at 1.25 mm slices, where most pixels fail).
 */
const READ_STEP_MM = 2.5;
/** How far beyond the bounding box of this slice's lung (mm, in-plane) a candidate may lie. */
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
 * diaphragm of lung `s` on slice z: solid tissue (-100..150 HU) next to this lung that neither
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
  const step = Math.max(1, Math.floor(READ_STEP_MM / rule.sliceMm));
  const near = Math.max(1, Math.round(NEAR_MM / rule.pixelMm));
  const { band, tested, queue, lungRuns, runs, stack } = scratch;
  lungRuns.top = 0;
  const box = runsBoundingBox(side, s, columns, rows, (start, end) => lungRuns.push(start, end));
  if (!box) return 0;
  // Candidates lie within `near` of the lung's bounding box.
  const x0 = Math.max(0, box.x0 - near);
  const y0 = Math.max(0, box.y0 - near);
  const x1 = Math.min(columns - 1, box.x1 + near);
  const y1 = Math.min(rows - 1, box.y1 + near);
  const base = z * plane;
  const zTop = Math.min(slices - 1, z + reach);
  const zBottom = Math.max(0, z - reach);
  let testedCount = 0;
  /**
   * Tests pixel p (band 0, not this lung): inside the box, no other lung, solid, with aerated lung straight
   * above or below. The reads of other slices are the cost, so only pixels reached from the lung through
   * candidates are tested: a region is kept only with lung on part of its rim.
   */
  const test = (p: number): boolean => {
    tested[testedCount++] = p;
    const x = p % columns;
    const y = (p - x) / columns;
    let ok = x >= x0 && x <= x1 && y >= y0 && y <= y1 && side[p] === 0;
    if (ok) {
      const v = hu[base + p]!;
      ok = v >= SOLID_MIN_HU && v < SOLID_MAX_HU;
    }
    if (ok) {
      // Slices z ± 1, 1 + step, …, and the last one within reach.
      let above = false;
      for (let d = 1; d <= reach && !above; d = d < reach && d + step > reach ? reach : d + step) above = z + d <= zTop && hu[(z + d) * plane + p]! < AIR_MAX_HU;
      let below = false;
      for (let d = 1; d <= reach && !below && !above; d = d < reach && d + step > reach ? reach : d + step) below = z - d >= zBottom && hu[(z - d) * plane + p]! < AIR_MAX_HU;
      ok = above || below;
    }
    band[p] = ok ? 2 : 1;
    return ok;
  };
  // Seeds: the pixels next to the lung (4-neighbours of its runs), then a flood through candidates.
  const pixelMm2 = rule.pixelMm * rule.pixelMm;
  const maxArea = MAX_AREA_MM2 / pixelMm2;
  const minArea = MIN_AREA_MM2 / pixelMm2;
  // Each seed's region is grown at once, and given up (band 4) as soon as it is larger than maxArea or
  // meets a region given up before (then it is part of it): the heart or a liver dome with lung over
  // its top would otherwise be tested whole, pixel by pixel, on every slice.
  const component = scratch.component;
  let top = 0;
  let size = 0;
  const spread = (r: number): boolean => {
    const b = band[r];
    if (b === 4) return true;
    if (b !== 0 || side[r] === s || !test(r)) return false;
    queue[top++] = r;
    component[size++] = r;
    return size > maxArea;
  };
  const visit = (q: number): void => {
    if (band[q] !== 0 || side[q] === s || !test(q)) return;
    top = 0;
    size = 0;
    queue[top++] = q;
    component[size++] = q;
    let big = false;
    while (top > 0 && !big) {
      const p = queue[--top]!;
      const x = p % columns;
      big = (x > 0 && spread(p - 1)) || (x < columns - 1 && spread(p + 1)) || (p >= columns && spread(p - columns)) || (p + columns < plane && spread(p + columns));
    }
    if (big) for (let i = 0; i < size; i++) band[component[i]!] = 4;
  };
  // The runs are in row-major order, so the row above and the row below are found with two pointers,
  // and only the gaps in them (not lung) are visited: the cost follows the lung's outline, not its area.
  const runData = lungRuns.data;
  const n = lungRuns.top;
  /** Visits the pixels a..b-1 (one row) that no lung run from index `first` (below `limit`) covers. */
  const visitGaps = (a: number, b: number, first: number, limit: number): void => {
    let from = a;
    for (let m = first; m < limit && runData[m]! < b; m += 2) {
      for (let q = from; q < runData[m]!; q++) visit(q);
      from = Math.max(from, runData[m + 1]!);
    }
    for (let q = from; q < b; q++) visit(q);
  };
  let up = 0;
  let down = 0;
  for (let k = 0; k < n; k += 2) {
    const start = runData[k]!;
    const end = runData[k + 1]!;
    const x = start % columns;
    const y = (start - x) / columns;
    if (x > 0) visit(start - 1);
    if (x + end - start < columns) visit(end);
    if (y > 0) {
      const a = start - columns;
      while (up < k && runData[up + 1]! <= a) up += 2;
      visitGaps(a, end - columns, up, k);
    }
    if (y < rows - 1) {
      const a = start + columns;
      if (down < k + 2) down = k + 2;
      while (down < n && runData[down + 1]! <= a) down += 2;
      visitGaps(a, end + columns, down, n);
    }
  }
  const gap = Math.max(1, Math.round(AIRWAY_GAP_MM / rule.pixelMm));
  const isAir = (ax: number, ay: number): boolean => {
    if (ax < x0 || ax > x1 || ay < y0 || ay > y1) return false;
    const q = ay * columns + ax;
    return side[q] !== s && hu[base + q]! < AIR_MAX_HU;
  };
  let marked = 0;
  for (let t = 0; t < testedCount; t++) {
    const seed = tested[t]!;
    if (band[seed] !== 2) continue;
    runs.top = 0;
    const count = spanFill(band, columns, plane, seed, 2, 3, stack, runs);
    if (count > maxArea || count < minArea) continue;
    let lungEdges = 0;
    let otherEdges = 0;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const y = (start - (start % columns)) / columns;
      for (let i = start, x = start - y * columns; i < runs.data[k + 1]!; i++, x++) {
        // Neighbours: this lung, the region itself (band 3; 2 cannot border it), or anything else; beyond the box counts as else.
        if (x <= x0) otherEdges++;
        else if (side[i - 1] === s) lungEdges++;
        else if (band[i - 1] !== 3) otherEdges++;
        if (x >= x1) otherEdges++;
        else if (side[i + 1] === s) lungEdges++;
        else if (band[i + 1] !== 3) otherEdges++;
        if (y <= y0) otherEdges++;
        else if (side[i - columns] === s) lungEdges++;
        else if (band[i - columns] !== 3) otherEdges++;
        if (y >= y1) otherEdges++;
        else if (side[i + columns] === s) lungEdges++;
        else if (band[i + columns] !== 3) otherEdges++;
      }
    }
    if (lungEdges < MIN_LUNG_RIM * (lungEdges + otherEdges)) continue;
    // Mean thickness (2 x area / perimeter, in mm): a sliver of pleura or chest wall along a lung outline that shifts from slice to slice is thin.
    if ((2 * count * rule.pixelMm) / (lungEdges + otherEdges) < MIN_THICKNESS_MM) continue;
    if (nearAirway(runs, columns, gap, isAir)) continue;
    for (let k = 0; k < runs.top; k += 2) {
      marks.fill(1, runs.data[k]!, runs.data[k + 1]!);
      marked += runs.data[k + 1]! - runs.data[k]!;
    }
  }
  for (let t = 0; t < testedCount; t++) band[tested[t]!] = 0;
  return marked;
}

/** Whether a region (row runs in a plane of `columns`) has, within `gap` pixels along a row or column, a pixel where `air(x, y)`: a bronchus (the hilum). */
function nearAirway(runs: RunStack, columns: number, gap: number, air: (x: number, y: number) => boolean): boolean {
  for (let k = 0; k < runs.top; k += 2) {
    const start = runs.data[k]!;
    const y = (start - (start % columns)) / columns;
    for (let x = start - y * columns, end = runs.data[k + 1]! - y * columns; x < end; x++) {
      for (let d = 1; d <= gap; d++) {
        if (air(x + d, y) || air(x - d, y) || air(x, y + d) || air(x, y - d)) return true;
      }
    }
  }
  return false;
}
