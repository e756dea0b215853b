/** numpy's np.round: ties go to the even integer (8.5 -> 8, 9.5 -> 10), unlike Math.round (ties up). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Step 1 of docs/CONTRACTS.md §1: HU → 8-bit with the model's window,
 * `v = clamp(round((HU - (L - W/2)) / W * 255), 0, 255)`.
 *
 * Computed exactly like the Python reference (training/covseg_training/ct_check.py): float32
 * arithmetic and numpy rounding (half to even). With L = -600, W = 1500 every 100 HU lands on an
 * exact .5 tie; never "simplify" this to float64 + Math.round, or serving and training disagree by
 * one grey level on those HU values.
 * Implemented as a 65536-entry lookup table over the whole Int16 range: one table read per voxel.
 */
export function buildWindowLut(center: number, width: number): Uint8Array {
  const f = Math.fround;
  const lut = new Uint8Array(65536);
  const low = f(center - width / 2);
  const w = f(width);
  for (let i = 0; i < 65536; i++) {
    const v = roundHalfEven(f(f(f(i - 32768 - low) / w) * 255));
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
