import type { VolumeDims } from './lung-mask';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from './lung-side';

/** Cross product of (a - o) x (b - o) for points stored as [x, y] pairs in a flat array. */
function cross(p: Int32Array, o: number, a: number, b: number): number {
  return (p[2 * a]! - p[2 * o]!) * (p[2 * b + 1]! - p[2 * o + 1]!) - (p[2 * a + 1]! - p[2 * o + 1]!) * (p[2 * b]! - p[2 * o]!);
}

/**
 * Convex hull (monotone chain) of points given as [x, y] pairs already sorted by y, then x.
 * @returns hull vertex indices in order (counter-clockwise in image coordinates); `out` is scratch.
 */
export function convexHull(points: Int32Array, n: number, out: Int32Array): number {
  if (n < 3) {
    for (let i = 0; i < n; i++) out[i] = i;
    return n;
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    while (k >= 2 && cross(points, out[k - 2]!, out[k - 1]!, i) <= 0) k--;
    out[k++] = i;
  }
  for (let i = n - 2, lower = k + 1; i >= 0; i--) {
    while (k >= lower && cross(points, out[k - 2]!, out[k - 1]!, i) <= 0) k--;
    out[k++] = i;
  }
  return k - 1;
}

/** Fills the hull polygon (vertices at pixel centres) into `plane` with `value` where the plane is 0. */
function fillPolygon(points: Int32Array, hull: Int32Array, m: number, plane: Uint8Array, columns: number, value: number): void {
  let minY = Infinity;
  let maxY = -Infinity;
  for (let k = 0; k < m; k++) {
    const y = points[2 * hull[k]! + 1]!;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  for (let y = minY; y <= maxY; y++) {
    let left = Infinity;
    let right = -Infinity;
    for (let k = 0; k < m; k++) {
      const a = hull[k]!;
      const b = hull[(k + 1) % m]!;
      const ax = points[2 * a]!, ay = points[2 * a + 1]!, bx = points[2 * b]!, by = points[2 * b + 1]!;
      if ((y < ay && y < by) || (y > ay && y > by)) continue;
      if (ay === by) {
        left = Math.min(left, ax, bx);
        right = Math.max(right, ax, bx);
      } else {
        const x = ax + ((y - ay) * (bx - ax)) / (by - ay);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    const x0 = Math.ceil(left - 1e-9);
    const x1 = Math.floor(right + 1e-9);
    for (let x = x0, i = y * columns + x0; x <= x1; x++, i++) if (plane[i] === 0) plane[i] = value;
  }
}

/**
 * Per slice and side, the convex hull of each lung (0 none, 1 right, 2 left; where the two hulls
 * overlap, lung pixels keep their side and the right lung's hull is drawn first). Used as the region
 * where infection may extend the lung: a consolidation against the chest wall is as dense as the wall,
 * so no threshold sees it as lung, but it lies inside the hull of the aerated lung around it.
 * @param side 0/1/2 side map, slice-major; not modified. @returns a new side map owned by the caller.
 */
export function computeLungHulls(side: Uint8Array, dims: VolumeDims): Uint8Array {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  const hulls = side.slice();
  const points = new Int32Array(4 * rows);
  const hull = new Int32Array(2 * rows + 2);
  for (let z = 0; z < slices; z++) {
    const s = side.subarray(z * plane, (z + 1) * plane);
    const out = hulls.subarray(z * plane, (z + 1) * plane);
    for (const value of [LUNG_SIDE_RIGHT, LUNG_SIDE_LEFT]) {
      // The hull of a pixel set is the hull of each row's leftmost and rightmost pixel.
      let n = 0;
      for (let y = 0; y < rows; y++) {
        const row = y * columns;
        let first = -1;
        let last = -1;
        for (let x = 0; x < columns; x++) {
          if (s[row + x] !== value) continue;
          if (first < 0) first = x;
          last = x;
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
      if (n === 0) continue;
      const m = convexHull(points, n, hull);
      fillPolygon(points, hull, m, out, columns, value);
    }
  }
  return hulls;
}
