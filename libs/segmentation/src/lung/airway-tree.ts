import type { VolumeDims, VolumeSpacing } from './lung-mask';
import { RunStack, spanFill } from './runs';

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
export function removeAirwayTree(air: Uint8Array, dims: VolumeDims, spacing: VolumeSpacing, options: AirwayTreeOptions = {}): Int32Array[] {
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
  const stack = new RunStack();
  const runs = new RunStack();

  // Seed: search the head-most third of the slices that hold internal air.
  let seedZ = -1;
  let seedRuns: Int32Array | undefined;
  let searched = 0;
  for (let z = first; z >= 0 && z < slices && seedZ < 0; z += down) {
    const s = air.subarray(z * plane, (z + 1) * plane);
    if (s.indexOf(AIR) < 0) continue;
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
    for (const b of blobs) for (let k = 0; k < b.runs.length; k += 2) s.fill(AIR, b.runs[k]!, b.runs[k + 1]!);
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
  clearRuns(air.subarray(seedZ * plane, (seedZ + 1) * plane), seedRuns);
  airway[seedZ] = shift(seedRuns, seedZ * plane);
  for (let z = seedZ + down, steps = 1; z >= 0 && z < slices && steps <= maxSlices && previous.length > 0; z += down, steps++) {
    const s = air.subarray(z * plane, (z + 1) * plane);
    const kept: number[] = [];
    const lung: number[] = [];
    for (let k = 0; k < previous.length; k += 2) {
      for (let i = previous[k]!; i < previous[k + 1]!; i++) {
        if (s[i] !== AIR) continue;
        runs.top = 0;
        const count = spanFill(s, columns, plane, i, AIR, PROBE, stack, runs);
        // Leak guard: a blob this large is lung; it goes back to AIR once this slice is done.
        const into = count > maxAirway ? lung : kept;
        for (let j = 0; j < runs.top; j++) into.push(runs.data[j]!);
      }
    }
    for (let k = 0; k < lung.length; k += 2) s.fill(AIR, lung[k]!, lung[k + 1]!);
    for (let k = 0; k < kept.length; k += 2) s.fill(0, kept[k]!, kept[k + 1]!);
    previous = Int32Array.from(kept);
    airway[z] = shift(previous, z * plane);
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

function shift(runs: Int32Array, by: number): Int32Array {
  return runs.map((v) => v + by);
}

function clearRuns(values: Uint8Array, runs: Int32Array): void {
  for (let k = 0; k < runs.length; k += 2) values.fill(0, runs[k]!, runs[k + 1]!);
}
