import type { VolumeDims, VolumeSpacing } from './lung-mask';
import { squareMorphology } from './morphology-2d';
import { forEachRun, RunStack, spanFill } from './runs';

const AIR = 1;
const PROBE = 5;

export interface AirwayTreeOptions {
  /** True (default) when increasing slice index points toward the head (+z in LPS is superior). */
  slicesIncreaseTowardHead?: boolean;
  /** The trachea seed's cross-section range, mm² (default 40-700: 7-30 mm across). */
  seedAreaMm2?: { min: number; max: number };
  /** A 2-D air blob is an airway only below this area, mm² (default 700); a larger one is lung (the leak guard). */
  maxAirwayAreaMm2?: number;
  /** How far below the seed the tree is followed, mm (default 200). */
  maxLengthMm?: number;
  /**
   * The lumen is traced below this HU (default -900): airway air is about -1000 HU, while the -320 HU
   * lung threshold lets the thin airway wall merge the trachea with an abutting lung by partial volume.
   */
  lumenHu?: number;
  /** The traced lumen is widened by this much before it leaves the air (the wall's partial-volume ring), mm (default 2). */
  wallMm?: number;
  /**
   * A branch ends where its airway is mostly surrounded by lung: when more than this fraction of a
   * ring 4 mm around the lumen is lung-like air (default 0.6). That is where a main bronchus enters
   * the lung; the bronchi beyond belong to the lung (and hole filling makes them lung).
   */
  maxLungAround?: number;
}

/**
 * Finds the trachea and main bronchi in a 0/1 internal-air volume (air inside the body, slice-major)
 * and clears them from it in place; returns their voxels as row runs per slice ([start, end) index
 * pairs in volume coordinates), so that the caller can keep them out of the final lung mask.
 *
 * The seed is the first slice from the head end with a small, compact air blob near the middle of the
 * internal air (the trachea above the apices). From there the tree is grown slice by slice toward the
 * feet: a 2-D (4-connected) air blob that overlaps the airway of the slice above joins it, unless it is
 * larger than `maxAirwayAreaMm2`: then it is lung parenchyma that a bronchus has entered (the leak
 * guard), and that branch stops there. Intrapulmonary bronchi are thus left to the lung, where they
 * belong (hole filling makes them lung); the trachea and the main bronchi up to the hilum go.
 * Never grow without the leak guard, or the first slice where a bronchus opens into a lung takes
 * the whole lung with it.
 * @param air 0/1, rewritten: airway voxels become 0. Cost: a few 2-D floods per slice near the airway.
 */
export function removeAirwayTree(air: Uint8Array, hu: Int16Array, dims: VolumeDims, spacing: VolumeSpacing, options: AirwayTreeOptions = {}): Int32Array[] {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  const pixelMm2 = spacing.rowSpacingMm * spacing.columnSpacingMm;
  const seedMin = (options.seedAreaMm2?.min ?? 40) / pixelMm2;
  const seedMax = (options.seedAreaMm2?.max ?? 700) / pixelMm2;
  const maxAirway = (options.maxAirwayAreaMm2 ?? 700) / pixelMm2;
  const maxSlices = Math.ceil((options.maxLengthMm ?? 200) / spacing.sliceSpacingMm);
  const down = options.slicesIncreaseTowardHead ?? true ? -1 : 1;
  const first = down === -1 ? slices - 1 : 0;
  const airway: Int32Array[] = Array.from({ length: slices }, () => new Int32Array(0));
  const lumenHu = options.lumenHu ?? -900;
  const wall = Math.max(0, Math.round((options.wallMm ?? 2) / Math.min(spacing.rowSpacingMm, spacing.columnSpacingMm)));
  const stack = new RunStack();
  const runs = new RunStack();
  // One slice of lumen candidates: internal air darker than lumenHu.
  const lumen = new Uint8Array(plane);
  const maxLungAround = options.maxLungAround ?? 0.6;
  const ringPx = Math.max(1, Math.round(4 / Math.min(spacing.rowSpacingMm, spacing.columnSpacingMm)));
  const crop = new Uint8Array(plane);
  const cropTmp = new Uint8Array(plane);
  /** Fraction of the ring within ringPx around a lumen blob (runs in plane coordinates) that is lung-like air (air, not lumen). */
  const lungAround = (z: number, blob: Int32Array): number => {
    let x0 = columns, x1 = -1, y0 = rows, y1 = -1;
    for (let k = 0; k < blob.length; k += 2) {
      const x = blob[k]! % columns;
      const y = (blob[k]! - x) / columns;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x + blob[k + 1]! - blob[k]! - 1);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    x0 = Math.max(0, x0 - ringPx); x1 = Math.min(columns - 1, x1 + ringPx);
    y0 = Math.max(0, y0 - ringPx); y1 = Math.min(rows - 1, y1 + ringPx);
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    crop.fill(0, 0, w * h);
    for (let k = 0; k < blob.length; k += 2) {
      const x = blob[k]! % columns;
      const y = (blob[k]! - x) / columns;
      crop.fill(1, (y - y0) * w + x - x0, (y - y0) * w + x - x0 + blob[k + 1]! - blob[k]!);
    }
    const inside = crop.slice(0, w * h);
    squareMorphology(crop, w, h, ringPx, false, cropTmp);
    let ring = 0;
    let lung = 0;
    const base = z * plane;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (crop[y * w + x] === 0 || inside[y * w + x] !== 0) continue;
        ring++;
        const i = base + (y + y0) * columns + x + x0;
        if (air[i] === AIR && hu[i]! >= lumenHu) lung++;
      }
    }
    return ring === 0 ? 0 : lung / ring;
  };
  /** Row range [y0, y1] and column range [x0, x1] of some plane runs, grown by `margin` pixels and clipped. */
  const boxOf = (runsOf: ArrayLike<number>, margin: number): [number, number, number, number] => {
    let x0 = columns, x1 = -1, y0 = rows, y1 = -1;
    for (let k = 0; k < runsOf.length; k += 2) {
      const x = runsOf[k]! % columns;
      const y = (runsOf[k]! - x) / columns;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x + runsOf[k + 1]! - runsOf[k]! - 1);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    return [Math.max(0, x0 - margin), Math.min(columns - 1, x1 + margin), Math.max(0, y0 - margin), Math.min(rows - 1, y1 + margin)];
  };
  // While tracing, only a box 40 mm around the airway of the slice above is thresholded: a blob cut at
  // the box edge is either wholly inside (an airway, at most 30 mm across) or larger than the leak guard.
  const traceMargin = Math.ceil(40 / Math.min(spacing.rowSpacingMm, spacing.columnSpacingMm));
  const loadLumen = (z: number, box?: [number, number, number, number]): Uint8Array => {
    const base = z * plane;
    if (!box) {
      for (let i = 0; i < plane; i++) lumen[i] = air[base + i]! & ((hu[base + i]! - lumenHu) >>> 31);
      return lumen;
    }
    lumen.fill(0);
    const [x0, x1, y0, y1] = box;
    for (let y = y0; y <= y1; y++) {
      for (let i = y * columns + x0, end = y * columns + x1; i <= end; i++) lumen[i] = air[base + i]! & ((hu[base + i]! - lumenHu) >>> 31);
    }
    return lumen;
  };
  /** Widens the slice's airway (plane runs) by the wall, within its box, clears it from the air and returns it as volume runs. */
  const commit = (z: number, kept: readonly number[]): Int32Array => {
    const [x0, x1, y0, y1] = boxOf(kept, wall);
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    crop.fill(0, 0, w * h);
    for (let k = 0; k < kept.length; k += 2) {
      const x = kept[k]! % columns;
      const y = (kept[k]! - x) / columns;
      crop.fill(1, (y - y0) * w + x - x0, (y - y0) * w + x - x0 + kept[k + 1]! - kept[k]!);
    }
    if (wall > 0) squareMorphology(crop, w, h, wall, false, cropTmp);
    const out: number[] = [];
    const base = z * plane + y0 * columns + x0;
    forEachRun(crop.subarray(0, w * h), 1, w, (start, end) => {
      const y = Math.floor(start / w);
      const from = base + y * columns + (start - y * w);
      air.fill(0, from, from + end - start);
      out.push(from, from + end - start);
    });
    return Int32Array.from(out);
  };

  // Seed: search the head-most third of the slices that hold internal air.
  let seedZ = -1;
  let seedRuns: Int32Array | undefined;
  let searched = 0;
  for (let z = first; z >= 0 && z < slices && seedZ < 0; z += down) {
    if (air.subarray(z * plane, (z + 1) * plane).indexOf(AIR) < 0) continue;
    const s = loadLumen(z);
    if (++searched > Math.max(3, Math.ceil(slices / 3))) break;
    // Centroid of all internal air on this slice: the midline when both apices show, the trachea alone above them.
    const blobs: { runs: Int32Array; count: number; cx: number; cy: number; w: number; h: number }[] = [];
    let sumX = 0;
    let total = 0;
    for (let seed = s.indexOf(AIR); seed >= 0; seed = s.indexOf(AIR, seed + 1)) {
      runs.top = 0;
      const count = spanFill(s, columns, plane, seed, AIR, PROBE, stack, runs);
      const b = measure(runs, columns);
      sumX += b.cx * count;
      total += count;
      blobs.push({ runs: runs.data.slice(0, runs.top), count, ...b });
    }
    const mx = sumX / total;
    let best: (typeof blobs)[number] | undefined;
    for (const b of blobs) {
      const compact = b.count >= 0.5 * b.w * b.h && Math.max(b.w / b.h, b.h / b.w) <= 2.5;
      if (!compact || b.count < seedMin || b.count > seedMax) continue;
      // Near the midline: within 15 % of the image width of the air's centroid column.
      if (Math.abs(b.cx - mx) > 0.15 * columns) continue;
      if (!best || Math.abs(b.cx - mx) < Math.abs(best.cx - mx)) best = b;
    }
    if (best) {
      seedZ = z;
      seedRuns = best.runs;
    }
  }
  if (seedZ < 0 || !seedRuns) return airway;

  // Grow toward the feet. `previous` is the airway of the slice above, as runs in plane coordinates.
  let previous = seedRuns;
  airway[seedZ] = commit(seedZ, Array.from(seedRuns));
  for (let z = seedZ + down, steps = 1; z >= 0 && z < slices && steps <= maxSlices && previous.length > 0; z += down, steps++) {
    const s = loadLumen(z, boxOf(previous, traceMargin));
    const kept: number[] = [];
    for (let k = 0; k < previous.length; k += 2) {
      for (let i = previous[k]!; i < previous[k + 1]!; i++) {
        if (s[i] !== AIR) continue;
        runs.top = 0;
        const count = spanFill(s, columns, plane, i, AIR, PROBE, stack, runs);
        // Leak guard: a blob this large is lung, and that branch ends here; so does a bronchus once lung surrounds it.
        if (count > maxAirway) continue;
        const blob = runs.data.slice(0, runs.top);
        if (lungAround(z, blob) > maxLungAround) continue;
        for (const v of blob) kept.push(v);
      }
    }
    previous = Int32Array.from(kept);
    if (kept.length > 0) airway[z] = commit(z, kept);
  }
  return airway;
}

function measure(runs: RunStack, columns: number): { cx: number; cy: number; w: number; h: number } {
  let sx = 0, sy = 0, n = 0, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let k = 0; k < runs.top; k += 2) {
    const start = runs.data[k]!;
    const len = runs.data[k + 1]! - start;
    const x = start % columns;
    const y = (start - x) / columns;
    sx += len * x + (len * (len - 1)) / 2;
    sy += len * y;
    n += len;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x + len - 1);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return { cx: sx / n, cy: sy / n, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

