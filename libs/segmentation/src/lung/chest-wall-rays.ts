import { LUNG_SIDE_NONE } from './lung-side';
import { forEachRun } from './runs';

export interface ChestWallRayRule {
  /** +1 when the mediastinum lies toward higher columns of this lung, -1 toward lower ones. */
  medialSign: number;
  /** +1 when higher rows are posterior (the usual axial orientation), -1 when they are anterior. */
  posteriorSign: number;
  /** Pixel size in mm (the smaller in-plane spacing). */
  pixelMm: number;
  /** Slice spacing in mm. */
  sliceMm: number;
  /** Bone up to this distance (mm) above or below the slice also stops a ray (default 12 mm); 0 = this slice only. */
  boneReachMm?: number;
  /** Longest run of tissue between the aerated lung and a rib that is taken as lesion (default 60 mm). */
  maxDepthMm?: number;
  /**
   * Shortest such run (default 10 mm): a healthy lung lies 2-6 mm from its ribs' inner cortex (pleura,
   * intercostal muscle), and up to about 9 mm at the apex (scalene muscles, first rib, clavicle).
   */
  minDepthMm?: number;
}

/** HU at or above this is bone (a rib or vertebra) where a ray stops; the same as the pockets' limit. */
const BONE_HU = 200;
/** Fat (-250..-40 HU) over this length ends a ray unfilled: the extrapleural and subcutaneous fat of the chest wall. */
const MAX_FAT_MM = 2;
/**
 * Rays within 60 degrees of the anterior direction from the lung's centroid (the liver and spleen domes
 * under a basal crescent, the heart under the left lung) or of the medial one are not cast. Never widen
 * the medial opening: at 40 degrees, posteromedial rays crossed the descending aorta to the spine
 * (LIDC-IDRI-0002) and made it lung.
 */
const COS_ANTERIOR_EXCLUDED = Math.cos(Math.PI / 3);
const COS_MEDIAL_EXCLUDED = Math.cos(Math.PI / 3);
/** Rays per lung and slice (one per degree; the closing after them joins their ends, 2.6 px apart at 150 px). */
const RAYS = 360;
/** A ray's depth is the median of this many rays either side: a lesion spans many rays, a slip between two ribs a few. */
const MEDIAN_HALF_WIDTH = 6;
/** Neighbouring slices are looked at for bone every this many mm at most (a rib is about 10 mm tall). */
const BONE_SLICE_STEP_MM = 3;

/** Scratch for markLesionsToChestWall; allocate once per volume. */
export class ChestWallScratch {
  readonly edge = new Float64Array(RAYS);
  readonly depth = new Float64Array(RAYS);
  readonly window = new Float64Array(2 * MEDIAN_HALF_WIDTH + 1);
}

/**
 * Marks on one slice the dense tissue that lies between a lung's aerated part and its ribs or spine: a
 * consolidation that has replaced the dependent (posterior) or lateral lung up to the chest wall. It is as
 * dense as the wall, and the aerated remainder can be convex, so neither the threshold nor the hull
 * pockets see it. From the lung's centroid, 360 rays (not within 60 degrees of anterior or medial: heart,
 * hila, aorta, liver dome) leave the lung's outermost pixel and run on through tissue; a ray's
 * depth is where it meets bone (>= 200 HU on this slice or within `boneReachMm` above or below: ribs
 * run obliquely, so across about 2 cm of slices they close the gaps an axial slice shows between them and
 * a ray cannot slip between two ribs to the scapula), and 0 when it meets fat (the chest wall's
 * extrapleural and subcutaneous fat, between ribs), lung again or nothing within maxDepthMm, or when the
 * bone is nearer than minDepthMm (a healthy lung lies a few mm from its ribs). Depths are then the median
 * of 13 neighbouring rays (12 degrees), so a lone ray through a gap adds nothing, and the tissue within each ray's
 * depth is marked; the caller joins the rays (closing and hull pockets).
 * @param side the slice's side labels (0 none, 1 right, 2 left), row-major; read only.
 * @param hu the HU volume, slice-major; read only. @param z the slice.
 * @param marks 0/1 plane, set to 1 on the tissue to add (only pixels that are 0 in `side` and below 200 HU).
 * @returns how many pixels were newly marked.
 */
export function markLesionsToChestWall(side: Uint8Array, hu: Int16Array, z: number, columns: number, rows: number, value: number, rule: ChestWallRayRule, marks: Uint8Array, scratch: ChestWallScratch): number {
  const plane = columns * rows;
  const slices = hu.length / plane;
  // Neighbouring slices whose bone counts, as offsets into the volume: every BONE_SLICE_STEP_MM or closer.
  const reach = Math.floor((rule.boneReachMm ?? 12) / rule.sliceMm);
  const step = Math.max(1, Math.floor(BONE_SLICE_STEP_MM / rule.sliceMm));
  const offsets: number[] = [];
  for (let j = step; j <= reach; j += step) {
    if (z - j >= 0) offsets.push(-j * plane);
    if (z + j < slices) offsets.push(j * plane);
  }
  // Without bone from a slice above and one below, the gaps between ribs stay open and rays slip through
  // them into the chest wall (on lone slices of LIDC-IDRI-0001 this added 2 % of the lung, and several
  // times the lung at the apex): a lone slice, the end slices of a volume and slices over 12 mm apart get no rays.
  if (!offsets.some((o) => o < 0) || !offsets.some((o) => o > 0)) return 0;
  const base = z * plane;
  // Centroid from the row runs (integer sums, exact), then the farthest run end from it.
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  const lungPlane = side.subarray(0, plane);
  forEachRun(lungPlane, value, columns, (start, end) => {
    const length = end - start;
    const x = start % columns;
    n += length;
    sumX += length * x + (length * (length - 1)) / 2;
    sumY += length * ((start - x) / columns);
  });
  if (n === 0) return 0;
  const cx = sumX / n;
  const cy = sumY / n;
  let radius = 0;
  forEachRun(lungPlane, value, columns, (start, end) => {
    const x = start % columns;
    const dy = (start - x) / columns - cy;
    radius = Math.max(radius, Math.hypot(x - cx, dy), Math.hypot(x + end - start - 1 - cx, dy));
  });
  const maxSteps = Math.round((rule.maxDepthMm ?? 60) / rule.pixelMm);
  const minSteps = Math.round((rule.minDepthMm ?? 10) / rule.pixelMm);
  const maxFat = Math.max(1, Math.round(MAX_FAT_MM / rule.pixelMm));
  const none = LUNG_SIDE_NONE;
  const { edge, depth, window } = scratch;
  depth.fill(0);
  edge.fill(-1);
  for (let r = 0; r < RAYS; r++) {
    const angle = (2 * Math.PI * r) / RAYS;
    const ux = Math.cos(angle);
    const uy = Math.sin(angle);
    if (rule.medialSign * ux > COS_MEDIAL_EXCLUDED || -rule.posteriorSign * uy > COS_ANTERIOR_EXCLUDED) continue;
    // The lung's outermost pixel along the ray, found from outside in.
    let t = Math.ceil(radius) + 1;
    for (; t >= 0; t--) {
      const qx = Math.round(cx + t * ux);
      const qy = Math.round(cy + t * uy);
      if (qx >= 0 && qy >= 0 && qx < columns && qy < rows && side[qy * columns + qx] === value) break;
    }
    if (t < 0) continue;
    edge[r] = t;
    let fat = 0;
    for (let k = 1; k <= maxSteps; k++) {
      const qx = Math.round(cx + (t + k) * ux);
      const qy = Math.round(cy + (t + k) * uy);
      if (qx < 0 || qy < 0 || qx >= columns || qy >= rows) break;
      const q = qy * columns + qx;
      if (side[q] !== none) break;
      let bone = hu[base + q]! >= BONE_HU;
      for (let j = 0; !bone && j < offsets.length; j++) bone = hu[base + q + offsets[j]!]! >= BONE_HU;
      if (bone) {
        if (k >= minSteps) depth[r] = k;
        break;
      }
      const h = hu[base + q]!;
      if (h >= -250 && h < -40) {
        if (++fat >= maxFat) break;
      } else fat = 0;
    }
  }
  let marked = 0;
  for (let r = 0; r < RAYS; r++) {
    if (edge[r]! < 0) continue;
    for (let j = -MEDIAN_HALF_WIDTH; j <= MEDIAN_HALF_WIDTH; j++) window[j + MEDIAN_HALF_WIDTH] = depth[(r + j + RAYS) % RAYS]!;
    window.sort();
    const d = window[MEDIAN_HALF_WIDTH]!;
    if (d <= 0) continue;
    const angle = (2 * Math.PI * r) / RAYS;
    const ux = Math.cos(angle);
    const uy = Math.sin(angle);
    const t = edge[r]!;
    for (let k = 1; k < d; k++) {
      const qx = Math.round(cx + (t + k) * ux);
      const qy = Math.round(cy + (t + k) * uy);
      if (qx < 0 || qy < 0 || qx >= columns || qy >= rows) break;
      const q = qy * columns + qx;
      if (side[q] !== none) break;
      if (hu[base + q]! >= BONE_HU) break;
      if (marks[q] === 0) {
        marks[q] = 1;
        marked++;
      }
    }
  }
  return marked;
}
