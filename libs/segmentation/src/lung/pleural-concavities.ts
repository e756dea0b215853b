import { convexHull } from './lung-hull';
import { RunStack, spanFill } from './runs';

/** Scratch buffers for fillPleuralConcavities, sized for one plane; allocate once per volume. */
export class ConcavityScratch {
  readonly hull: Uint8Array;
  readonly points: Int32Array;
  readonly vertices: Int32Array;
  /** Per row, the hull's leftmost and rightmost x (float). */
  readonly left: Float64Array;
  readonly right: Float64Array;
  readonly runs = new RunStack();
  readonly stack = new RunStack();

  constructor(columns: number, rows: number) {
    this.hull = new Uint8Array(columns * rows);
    this.points = new Int32Array(4 * rows);
    this.vertices = new Int32Array(2 * rows + 2);
    this.left = new Float64Array(rows);
    this.right = new Float64Array(rows);
  }
}

export interface ConcavityRule {
  /** +1 when the mediastinum lies toward higher columns of this lung, -1 toward lower ones. */
  medialSign: number;
  /** +1 when higher rows are posterior (the usual axial orientation), -1 when they are anterior. */
  posteriorSign: number;
  /** Pixels at or above this HU (bone, contrast-filled vessels) are never added (default 200). */
  maxHu?: number;
  /** A pocket lying within this angle of the medial or the anterior direction from the lung's centroid is left out (default 60°). */
  halfAngleDeg?: number;
  /** A pocket larger than this multiple of the lung's own area is not added (default 1). */
  maxAreaRatio?: number;
  /**
   * Whether `huAt` gives real HU, so that an anterior pocket may be told apart as a solid bite (see
   * isSolidBite). False for pseudo-HU (8-bit pictures): anterior pockets then stay out (default false).
   */
  solidBites?: boolean;
}

/** Anterior pockets at most this share of the lung's area may be solid bites (the heart and liver domes are larger). */
const BITE_MAX_AREA_RATIO = 0.05;
/** A bite is bounded by lung on at least this share of its rim (a half-disc against a flat pleura: pi / (pi + 2) = 0.61). */
const BITE_MIN_LUNG_RIM = 0.6;
/** Solid tissue (-100..150 HU: consolidation, vessels, muscle) makes up at least this share of a bite. */
const BITE_MIN_SOLID = 0.8;
/** Fat (-200..-100 HU) makes up at most this share of a bite: mediastinal and pericardial fat are not lesions. */
const BITE_MAX_FAT = 0.1;

/**
 * Adds dense lesions that touch the pleura to one lung's mask, on one slice (in place): the pockets of
 * the lung's convex hull that the lung does not fill, where they face the chest wall. A consolidation
 * against the ribs is as dense as the chest wall, so no threshold and no small closing sees it as lung;
 * it shows as a bite out of the otherwise convex costal surface, and the hull bridges that bite.
 * Only pockets lateral or posterior of the lung's centroid count: medial pockets are the lung's natural
 * concavity (heart, hila, great vessels, trachea), and anterior ones at the bases are the liver and
 * spleen domes under a posterior crescent of lung (and the heart under the left lung). Pockets holding
 * bone or contrast (HU >= maxHu) over 5 % of their area, and pockets larger than maxAreaRatio x the
 * lung, are left out too. The price: a dense lesion against the anterior or mediastinal pleura stays
 * out unless the closing reaches it; COVID-19 consolidation is mostly posterior and peripheral.
 * @param lung 0/1, row-major `width x height` (a crop holding the lung), rewritten.
 * @param hu the same crop's HU, read through `huAt(x, y)`.
 */
export function fillPleuralConcavities(lung: Uint8Array, width: number, height: number, huAt: (x: number, y: number) => number, rule: ConcavityRule, scratch: ConcavityScratch): void {
  const { hull, points, vertices, runs, stack } = scratch;
  const plane = width * height;
  let n = 0;
  let area = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (lung[row + x] === 0) continue;
      if (first < 0) first = x;
      last = x;
      area++;
      sumX += x;
      sumY += y;
    }
    if (first < 0) continue;
    points[2 * n] = first;
    points[2 * n + 1] = y;
    n++;
    if (last !== first) {
      points[2 * n] = last;
      points[2 * n + 1] = y;
      n++;
    }
  }
  if (n < 3) return;
  // hull: 0 outside the hull, 1 lung, 2 hull pocket (candidate), 3 visited pocket.
  hull.set(lung.subarray(0, plane));
  fillHull(points, vertices, convexHull(points, n, vertices), hull, width, height, scratch);
  const cx = sumX / area;
  const cy = sumY / area;
  const maxHu = rule.maxHu ?? 200;
  const cosLimit = Math.cos(((rule.halfAngleDeg ?? 60) * Math.PI) / 180);
  const maxArea = (rule.maxAreaRatio ?? 1) * area;
  for (let seed = hull.indexOf(2); seed >= 0; seed = hull.indexOf(2, seed + 1)) {
    runs.top = 0;
    const count = spanFill(hull, width, plane, seed, 2, 3, stack, runs);
    if (count > maxArea) continue;
    // Centroid from the runs (integer sums, exact): where the pocket lies seen from the lung.
    let px = 0;
    let py = 0;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const length = runs.data[k + 1]! - start;
      const x = start % width;
      px += length * x + (length * (length - 1)) / 2;
      py += length * ((start - x) / width);
    }
    const dx = px / count - cx;
    const dy = py / count - cy;
    const length = Math.hypot(dx, dy);
    if (length > 0 && (rule.medialSign * dx) / length > cosLimit) continue;
    if (length > 0 && (-rule.posteriorSign * dy) / length > cosLimit && !(rule.solidBites === true && count <= BITE_MAX_AREA_RATIO * area && isSolidBite(hull, width, height, runs, huAt))) continue;
    let dense = 0;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const y = (start - (start % width)) / width;
      for (let i = start, x = start - y * width; i < runs.data[k + 1]!; i++, x++) if (huAt(x, y) >= maxHu) dense++;
    }
    if (dense > 0.05 * count) continue;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const y = (start - (start % width)) / width;
      for (let i = start, x = start - y * width; i < runs.data[k + 1]!; i++, x++) if (huAt(x, y) < maxHu) lung[i] = 1;
    }
  }
}

/**
 * Whether a hull pocket (its row runs in `runs`, in the plane `hull`: 0 outside the hull, 1 lung) is a
 * dense lesion biting into the lung rather than anatomy under it: lung on at least BITE_MIN_LUNG_RIM of
 * its rim (4-neighbour edges to lung against edges to outside the hull or the crop), mostly solid
 * tissue and hardly any fat. A consolidation against the anterior chest wall passes; the anterior
 * mediastinal fat and the pockets at the anterior junction line hold fat, and the liver and spleen domes
 * and the heart are larger than BITE_MAX_AREA_RATIO of the lung (checked by the caller).
 */
function isSolidBite(hull: Uint8Array, width: number, height: number, runs: RunStack, huAt: (x: number, y: number) => number): boolean {
  let lungEdges = 0;
  let outsideEdges = 0;
  let solid = 0;
  let fat = 0;
  let count = 0;
  for (let k = 0; k < runs.top; k += 2) {
    const start = runs.data[k]!;
    const y = (start - (start % width)) / width;
    for (let i = start, x = start - y * width; i < runs.data[k + 1]!; i++, x++) {
      count++;
      const h = huAt(x, y);
      if (h >= -100 && h < 150) solid++;
      else if (h >= -200 && h < -100) fat++;
      // Neighbours: 1 is lung, 0 outside the hull; the crop's edge counts as outside. Pocket pixels (2, 3) are inside.
      const l = x > 0 ? hull[i - 1]! : 0;
      const r = x < width - 1 ? hull[i + 1]! : 0;
      const u = y > 0 ? hull[i - width]! : 0;
      const d = y < height - 1 ? hull[i + width]! : 0;
      lungEdges += (l === 1 ? 1 : 0) + (r === 1 ? 1 : 0) + (u === 1 ? 1 : 0) + (d === 1 ? 1 : 0);
      outsideEdges += (l === 0 ? 1 : 0) + (r === 0 ? 1 : 0) + (u === 0 ? 1 : 0) + (d === 0 ? 1 : 0);
    }
  }
  return lungEdges >= BITE_MIN_LUNG_RIM * (lungEdges + outsideEdges) && solid >= BITE_MIN_SOLID * count && fat <= BITE_MAX_FAT * count;
}

/**
 * Marks with 2 the pixels of `plane` (where 0) inside a convex polygon, edge by edge: each edge sets
 * the left and right bounds of the rows it spans, so the cost is rows + perimeter rather than
 * rows x vertices. Vertices are pixel centres; bounds are rounded inward like lung-hull's fillPolygon.
 */
function fillHull(points: Int32Array, hull: Int32Array, m: number, plane: Uint8Array, width: number, height: number, scratch: ConcavityScratch): void {
  const { left, right } = scratch;
  left.fill(Infinity, 0, height);
  right.fill(-Infinity, 0, height);
  for (let k = 0; k < m; k++) {
    const a = hull[k]!;
    const b = hull[(k + 1) % m]!;
    const ax = points[2 * a]!, ay = points[2 * a + 1]!, bx = points[2 * b]!, by = points[2 * b + 1]!;
    const y0 = Math.min(ay, by);
    const y1 = Math.max(ay, by);
    for (let y = y0; y <= y1; y++) {
      const x = ay === by ? (y === ay ? Math.min(ax, bx) : ax) : ax + ((y - ay) * (bx - ax)) / (by - ay);
      const xr = ay === by ? Math.max(ax, bx) : x;
      if (x < left[y]!) left[y] = x;
      if (xr > right[y]!) right[y] = xr;
    }
  }
  for (let y = 0; y < height; y++) {
    if (!(right[y]! >= left[y]!)) continue;
    const x0 = Math.max(0, Math.ceil(left[y]! - 1e-9));
    const x1 = Math.min(width - 1, Math.floor(right[y]! + 1e-9));
    for (let x = x0, i = y * width + x0; x <= x1; x++, i++) if (plane[i] === 0) plane[i] = 2;
  }
}
