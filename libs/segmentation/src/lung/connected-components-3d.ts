/**
 * 6-connected components of a binary volume (slice-major, `z * rows * columns + y * columns + x`).
 * @param mask non-zero = foreground; not modified.
 * @returns labels (0 = background, 1..n) in a new Int32Array owned by the caller, and the voxel
 *          count of each label (`sizes[label]`, sizes[0] = 0).
 */
export function labelComponents3d(mask: Uint8Array, columns: number, rows: number, slices: number): { labels: Int32Array; sizes: number[] } {
  const plane = columns * rows;
  const n = plane * slices;
  const labels = new Int32Array(n);
  const sizes: number[] = [0];
  // One explicit stack for the flood fill (a recursive fill would overflow on a lung of millions of
  // voxels). Each voxel is pushed at most once, so the foreground count bounds its depth.
  let foreground = 0;
  for (let i = 0; i < n; i++) if (mask[i] !== 0) foreground++;
  const stack = new Int32Array(Math.max(1, foreground));
  for (let seed = 0; seed < n; seed++) {
    if (mask[seed] === 0 || labels[seed] !== 0) continue;
    const label = sizes.length;
    let size = 0;
    let top = 0;
    labels[seed] = label;
    stack[top++] = seed;
    while (top > 0) {
      const i = stack[--top]!;
      size++;
      const x = i % columns;
      const inPlane = i % plane;
      if (x > 0 && mask[i - 1] !== 0 && labels[i - 1] === 0) { labels[i - 1] = label; stack[top++] = i - 1; }
      if (x < columns - 1 && mask[i + 1] !== 0 && labels[i + 1] === 0) { labels[i + 1] = label; stack[top++] = i + 1; }
      if (inPlane >= columns && mask[i - columns] !== 0 && labels[i - columns] === 0) { labels[i - columns] = label; stack[top++] = i - columns; }
      if (inPlane < plane - columns && mask[i + columns] !== 0 && labels[i + columns] === 0) { labels[i + columns] = label; stack[top++] = i + columns; }
      if (i >= plane && mask[i - plane] !== 0 && labels[i - plane] === 0) { labels[i - plane] = label; stack[top++] = i - plane; }
      if (i < n - plane && mask[i + plane] !== 0 && labels[i + plane] === 0) { labels[i + plane] = label; stack[top++] = i + plane; }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}
