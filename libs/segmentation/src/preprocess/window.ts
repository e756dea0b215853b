/**
 * Step 1 of docs/CONTRACTS.md §1: HU → 8-bit with the model's window,
 * `v = clamp(round((HU - (L - W/2)) / W * 255), 0, 255)`.
 *
 * Implemented as a 65536-entry lookup table over the whole Int16 range: one table read per voxel,
 * no per-voxel floating point, and bit-identical to the formula for every possible HU.
 */
export function buildWindowLut(center: number, width: number): Uint8Array {
  const lut = new Uint8Array(65536);
  const low = center - width / 2;
  for (let i = 0; i < 65536; i++) {
    const v = Math.round(((i - 32768 - low) / width) * 255);
    lut[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return lut;
}

/**
 * Windows Hounsfield units to 8-bit grey (docs/CONTRACTS.md §1 step 1).
 * @param hu HU values (any layout); not modified.
 * @param center window level L in HU; @param width window width W in HU (> 0).
 * @param out optional destination of `hu.length` bytes (reused to avoid allocation); returned.
 */
export function windowToUint8(hu: Int16Array, center: number, width: number, out?: Uint8Array, lut?: Uint8Array): Uint8Array {
  const table = lut ?? buildWindowLut(center, width);
  const dst = out ?? new Uint8Array(hu.length);
  const n = hu.length;
  for (let i = 0; i < n; i++) dst[i] = table[hu[i]! + 32768]!;
  return dst;
}
