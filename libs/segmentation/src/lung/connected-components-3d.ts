/** Value written into the mask for voxels of the i-th kept component (i = 0, 1, ...). */
export const KEPT_COMPONENT_BASE = 3;
const VISITED = 2;

/**
 * Flood fills (6-connected) from `seed` over voxels equal to `from`, writing `to`. Returns the voxel count.
 * @param stack scratch; each voxel is pushed at most once, so the foreground count bounds it.
 */
function flood(mask: Uint8Array, columns: number, plane: number, seed: number, from: number, to: number, stack: Int32Array): number {
  const n = mask.length;
  let top = 0;
  let size = 0;
  mask[seed] = to;
  stack[top++] = seed;
  while (top > 0) {
    const i = stack[--top]!;
    size++;
    const x = i % columns;
    const inPlane = i % plane;
    if (x > 0 && mask[i - 1] === from) { mask[i - 1] = to; stack[top++] = i - 1; }
    if (x < columns - 1 && mask[i + 1] === from) { mask[i + 1] = to; stack[top++] = i + 1; }
    if (inPlane >= columns && mask[i - columns] === from) { mask[i - columns] = to; stack[top++] = i - columns; }
    if (inPlane < plane - columns && mask[i + columns] === from) { mask[i + columns] = to; stack[top++] = i + columns; }
    if (i >= plane && mask[i - plane] === from) { mask[i - plane] = to; stack[top++] = i - plane; }
    if (i < n - plane && mask[i + plane] === from) { mask[i + plane] = to; stack[top++] = i + plane; }
  }
  return size;
}

/**
 * Finds the largest 6-connected components of a binary volume (slice-major,
 * `z * rows * columns + y * columns + x`) without a label volume: one flood per component to measure
 * it, then one more flood per kept component to mark it. Memory is the mask itself plus a stack as
 * large as the foreground, instead of 4 bytes per voxel for int32 labels (600 slices of 512² would
 * need 630 MB for those).
 * @param mask 0/1 on entry; rewritten in place: voxels of the i-th kept component become
 *        KEPT_COMPONENT_BASE + i, other foreground becomes 2, background stays 0.
 * @param keep how many components to keep at most; @param minRatio a component after the first is
 *        kept only when at least this fraction of the largest.
 * @returns the sizes (voxels) of the kept components, largest first.
 */
export function keepLargestComponents3d(mask: Uint8Array, columns: number, rows: number, keep: number, minRatio: number): number[] {
  const plane = columns * rows;
  let foreground = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) foreground++;
  const stack = new Int32Array(Math.max(1, foreground));
  const found: { seed: number; size: number }[] = [];
  for (let seed = 0; seed < mask.length; seed++) {
    if (mask[seed] !== 1) continue;
    found.push({ seed, size: flood(mask, columns, plane, seed, 1, VISITED, stack) });
  }
  found.sort((a, b) => b.size - a.size);
  const kept = found.slice(0, keep).filter((c, i) => i === 0 || c.size >= minRatio * found[0]!.size);
  kept.forEach((c, i) => flood(mask, columns, plane, c.seed, VISITED, KEPT_COMPONENT_BASE + i, stack));
  return kept.map((c) => c.size);
}

/**
 * Removes the 6-connected components of a 0/1 volume that have fewer than `minVoxels` voxels, in place.
 * Used on the infection mask (contract key `covseg.min_component_ml`): isolated specks a few voxels
 * across are the model's typical false positives on healthy lung (partial volume at vessels and the
 * diaphragm), while COVID-19 opacities span many slices.
 * @param mask slice-major (`z * rows * columns + y * columns + x`), 0/1 on entry and on return.
 * @returns the number of voxels removed.
 */
export function removeComponentsSmallerThan3d(mask: Uint8Array, columns: number, rows: number, minVoxels: number): number {
  if (minVoxels <= 1) return 0;
  const plane = columns * rows;
  let foreground = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) foreground++;
  if (foreground === 0) return 0;
  const stack = new Int32Array(foreground);
  const KEPT = 3;
  let removed = 0;
  for (let seed = 0; seed < mask.length; seed++) {
    if (mask[seed] !== 1) continue;
    const size = flood(mask, columns, plane, seed, 1, VISITED, stack);
    if (size < minVoxels) {
      flood(mask, columns, plane, seed, VISITED, 0, stack);
      removed += size;
    } else {
      flood(mask, columns, plane, seed, VISITED, KEPT, stack);
    }
  }
  for (let i = 0; i < mask.length; i++) if (mask[i] === KEPT) mask[i] = 1;
  return removed;
}
