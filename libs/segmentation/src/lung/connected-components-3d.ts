import { RunStack, spanFill } from './runs';

/** Value written into the mask for voxels of the i-th kept component (i = 0, 1, ...). */
export const KEPT_COMPONENT_BASE = 3;
const VISITED = 2;

/**
 * Finds the largest 6-connected components of a binary volume (slice-major,
 * `z * rows * columns + y * columns + x`) without a label volume: one scanline flood per component to
 * measure it, then one more flood per kept component to mark it. Memory is the mask itself plus a stack of
 * row runs, instead of 4 bytes per voxel for int32 labels (600 slices of 512² would
 * need 630 MB for those).
 * @param mask 0/1 on entry; rewritten in place: voxels of the i-th kept component become
 *        KEPT_COMPONENT_BASE + i, other foreground becomes 2, background stays 0.
 * @param keep how many components to keep at most; @param minRatio a component after the first is
 *        kept only when at least this fraction of the largest.
 * @returns the sizes (voxels) of the kept components, largest first.
 */
export function keepLargestComponents3d(mask: Uint8Array, columns: number, rows: number, keep: number, minRatio: number): number[] {
  return findLargestComponents3d(mask, columns, rows, keep, minRatio).map((c) => c.size);
}

/** A kept component: its voxel count and its row runs, [start, end) index pairs in no particular order. */
export interface KeptComponent {
  size: number;
  runs: Int32Array;
}

/**
 * keepLargestComponents3d, also returning each kept component's row runs, so that callers can walk
 * the lungs without scanning the volume again. Same rewriting of `mask`.
 */
export function findLargestComponents3d(mask: Uint8Array, columns: number, rows: number, keep: number, minRatio: number): KeptComponent[] {
  const plane = columns * rows;
  const stack = new RunStack();
  const runs = new RunStack();
  // The `keep` largest so far, largest first; on equal sizes the first found ranks first.
  const top: KeptComponent[] = [];
  // indexOf skips the background natively; flooding rewrites 1 to VISITED, so each seed is a new component.
  for (let seed = mask.indexOf(1); seed >= 0; seed = mask.indexOf(1, seed + 1)) {
    runs.top = 0;
    const size = spanFill(mask, columns, plane, seed, 1, VISITED, stack, runs);
    if (top.length === keep && (keep === 0 || size <= top[keep - 1]!.size)) continue;
    let at = top.length;
    while (at > 0 && top[at - 1]!.size < size) at--;
    top.splice(at, 0, { size, runs: runs.data.slice(0, runs.top) });
    if (top.length > keep) top.pop();
  }
  const kept = top.filter((c, i) => i === 0 || c.size >= minRatio * top[0]!.size);
  kept.forEach((c, i) => {
    for (let k = 0; k < c.runs.length; k += 2) mask.fill(KEPT_COMPONENT_BASE + i, c.runs[k]!, c.runs[k + 1]!);
  });
  return kept;
}
