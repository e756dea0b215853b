/** Slice geometry shared by the SEG writer and reader. All vectors are in the patient system (LPS, mm). */

export type Vec3 = [number, number, number];

/** Slice normal (row direction x column direction) of an ImageOrientationPatient value (PS3.3 C.7.6.2.1.1). */
export function sliceNormal(imageOrientationPatient: readonly number[]): Vec3 {
  const [rx, ry, rz, cx, cy, cz] = imageOrientationPatient;
  return [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
}

/** Signed distance (mm) of a position along the normal: the slice's "height" in the stack. */
export function alongNormal(position: readonly number[], normal: Vec3): number {
  return position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2];
}

/**
 * The distance between neighbouring slices (mm), from their positions along the normal.
 * @returns undefined when the positions do not step strictly one way (not in volume order, or a duplicate).
 */
export function spacingBetweenSlices(positions: readonly (readonly number[])[], normal: Vec3): number | undefined {
  if (positions.length < 2) return undefined;
  const heights = positions.map((p) => alongNormal(p, normal));
  const steps = heights.slice(1).map((h, i) => h - heights[i]);
  const sign = Math.sign(steps[0]);
  if (sign === 0 || steps.some((s) => Math.sign(s) !== sign)) return undefined;
  return Math.abs(heights[heights.length - 1] - heights[0]) / (positions.length - 1);
}

/** Euclidean distance (mm) between two positions. */
export function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
