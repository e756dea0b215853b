import type { VolumeDims, VolumeSpacing } from './lung-mask';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from './lung-side';
import { forEachRun, RunStack, spanFill } from './runs';

/**
 * Removes the trachea (and other small midline airways) from a lung side map, per slice: a 4-connected
 * 2-D blob of lung smaller than `maxAreaMm2` whose centroid lies within `bandFraction` of the lungs'
 * overall width from their midline column. Lung apices are small too but lie laterally, so they stay.
 * The trachea matters because it usually joins both lungs into one 3-D air component, and dense
 * airway walls would otherwise count as lung (and the model could call them infection).
 * The midline and band come from the whole side map as it is when the filter is created, so create
 * it before any slice is changed; then call the result once per slice (in any order).
 * @param side 0/1/2 side map, slice-major; the returned function clears slice z of it in place.
 * @param options.lungRuns when the caller has them: row runs ([start, end) pairs) covering exactly the
 *        lung voxels of `side`, so that the lungs' column range needs no scan of the volume.
 */
export function createAirwayFilter(
  side: Uint8Array,
  dims: VolumeDims,
  spacing: VolumeSpacing,
  options: { maxAreaMm2?: number; bandFraction?: number; lungRuns?: readonly Int32Array[] } = {},
): (z: number) => void {
  const { columns, rows } = dims;
  const plane = columns * rows;
  const maxAreaMm2 = options.maxAreaMm2 ?? 400;
  const bandFraction = options.bandFraction ?? 0.12;
  let minX = columns;
  let maxX = -1;
  const addRun = (start: number, end: number): void => {
    const x = start % columns;
    if (x < minX) minX = x;
    if (x + end - start - 1 > maxX) maxX = x + end - start - 1;
  };
  if (options.lungRuns) {
    for (const runs of options.lungRuns) for (let k = 0; k < runs.length; k += 2) addRun(runs[k]!, runs[k + 1]!);
  } else {
    for (const value of [LUNG_SIDE_RIGHT, LUNG_SIDE_LEFT]) forEachRun(side, value, columns, addRun);
  }
  if (maxX < 0) return () => undefined;
  const midline = (minX + maxX) / 2;
  const band = bandFraction * (maxX - minX + 1);
  const maxPixels = maxAreaMm2 / (spacing.rowSpacingMm * spacing.columnSpacingMm);

  // Blobs are found on a 0/1 copy of the slice (lung of either side = 1), filled 1 -> 2 by runs.
  const blobs = new Uint8Array(plane);
  const stack = new RunStack();
  const runs = new RunStack();
  return (z: number): void => {
    const s = side.subarray(z * plane, (z + 1) * plane);
    if (s.indexOf(LUNG_SIDE_RIGHT) < 0 && s.indexOf(LUNG_SIDE_LEFT) < 0) return; // native scan, no per-pixel callback
    blobs.fill(0);
    for (const value of [LUNG_SIDE_RIGHT, LUNG_SIDE_LEFT]) forEachRun(s, value, columns, (start, end) => blobs.fill(1, start, end));
    for (let seed = blobs.indexOf(1); seed >= 0; seed = blobs.indexOf(1, seed + 1)) {
      runs.top = 0;
      const count = spanFill(blobs, columns, plane, seed, 1, 2, stack, runs);
      // Integer sum of x over the blob, run by run (exact in float64).
      let sumX = 0;
      for (let k = 0; k < runs.top; k += 2) {
        const length = runs.data[k + 1]! - runs.data[k]!;
        sumX += length * (runs.data[k]! % columns) + (length * (length - 1)) / 2;
      }
      if (count < maxPixels && Math.abs(sumX / count - midline) < band) {
        for (let k = 0; k < runs.top; k += 2) s.fill(0, runs.data[k]!, runs.data[k + 1]!);
      }
    }
  };
}
