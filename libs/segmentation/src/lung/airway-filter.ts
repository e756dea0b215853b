import type { VolumeDims, VolumeSpacing } from './lung-mask';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from './lung-side';

/**
 * Removes the trachea (and other small midline airways) from a lung side map, per slice: a 4-connected
 * 2-D blob of lung smaller than `maxAreaMm2` whose centroid lies within `bandFraction` of the lungs'
 * overall width from their midline column. Lung apices are small too but lie laterally, so they stay.
 * The trachea matters because it usually joins both lungs into one 3-D air component, and dense
 * airway walls would otherwise count as lung (and the model could call them infection).
 * @param side 0/1/2 side map, slice-major; cleared in place.
 */
export function removeMidlineAirways(side: Uint8Array, dims: VolumeDims, spacing: VolumeSpacing, maxAreaMm2 = 400, bandFraction = 0.12): void {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  let minX = columns;
  let maxX = -1;
  for (let i = 0, x = 0; i < side.length; i++, x = x === columns - 1 ? 0 : x + 1) {
    if (side[i] === 0) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
  }
  if (maxX < 0) return;
  const midline = (minX + maxX) / 2;
  const band = bandFraction * (maxX - minX + 1);
  const maxPixels = maxAreaMm2 / (spacing.rowSpacingMm * spacing.columnSpacingMm);

  const visited = new Uint8Array(plane);
  const stack = new Int32Array(plane);
  const members = new Int32Array(plane);
  for (let z = 0; z < slices; z++) {
    const s = side.subarray(z * plane, (z + 1) * plane);
    if (s.indexOf(LUNG_SIDE_RIGHT) < 0 && s.indexOf(LUNG_SIDE_LEFT) < 0) continue; // native scan, no per-pixel callback
    visited.fill(0);
    for (let seed = 0; seed < plane; seed++) {
      if (s[seed] === 0 || visited[seed] !== 0) continue;
      let top = 0;
      let count = 0;
      let sumX = 0;
      visited[seed] = 1;
      stack[top++] = seed;
      while (top > 0) {
        const i = stack[--top]!;
        members[count++] = i;
        const x = i % columns;
        sumX += x;
        if (x > 0 && s[i - 1] !== 0 && visited[i - 1] === 0) { visited[i - 1] = 1; stack[top++] = i - 1; }
        if (x < columns - 1 && s[i + 1] !== 0 && visited[i + 1] === 0) { visited[i + 1] = 1; stack[top++] = i + 1; }
        if (i >= columns && s[i - columns] !== 0 && visited[i - columns] === 0) { visited[i - columns] = 1; stack[top++] = i - columns; }
        if (i < plane - columns && s[i + columns] !== 0 && visited[i + columns] === 0) { visited[i + columns] = 1; stack[top++] = i + columns; }
      }
      if (count < maxPixels && Math.abs(sumX / count - midline) < band) {
        for (let k = 0; k < count; k++) s[members[k]!] = 0;
      }
    }
  }
}
