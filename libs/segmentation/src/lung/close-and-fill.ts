import type { VolumeDims } from './lung-mask';
import { LUNG_SIDE_LEFT, LUNG_SIDE_NONE, LUNG_SIDE_RIGHT } from './lung-side';
import { closeSquare, fillHoles } from './morphology-2d';
import { ConcavityScratch, fillPleuralConcavities } from './pleural-concavities';
import { ChestWallScratch, markLesionsToChestWall } from './chest-wall-rays';
import { RunStack, runsBoundingBox } from './runs';
import { markSandwichedLesions, SandwichScratch } from './sandwiched-lesions';

export interface SliceCloserOptions {
  /** The HU volume (slice-major like `side`): pleural pockets are filled only where it is below 200 HU. */
  hu: Int16Array;
  /** Whether increasing column points to the patient's left (the right lung's mediastinum is then at higher columns). */
  leftIsHighColumn: boolean;
  /** Whether increasing row points to the patient's back (the usual axial orientation). */
  posteriorIsHighRow: boolean;
  /** True when `hu` is real HU (a CT volume), false for pseudo-HU from an 8-bit picture: see ConcavityRule.solidBites. */
  realHu: boolean;
  /** Pixel size in mm: when given, dense lesions between the lung and the ribs are added too (markLesionsToChestWall). */
  pixelMm?: number;
  /** Slice spacing in mm (with pixelMm): bone within 12 mm above or below also bounds those lesions. */
  sliceMm?: number;
  /** Per slice, row runs ([start, end) volume indices) of the airway tree: never lung, whatever the closing bridged. */
  airway?: readonly Int32Array[];
}

/**
 * Returns a function that closes and fills one slice, per side, inside that side's bounding box
 * (the last step of computeLungMask), then adds the dense pleura-based pockets of the lung's hull
 * (fillPleuralConcavities); with `pixelMm`, then adds the dense tissue between each lung and its ribs
 * (markLesionsToChestWall) and closes that lung again; on real HU, then adds the dense lesions against the
 * mediastinum or the diaphragm that have lung straight above or below them (markSandwichedLesions) and
 * closes that lung again; finally clears the airway: rewrites the slice's
 * side labels (non-zero = lung). A slice reads only its own labels (and the HU of its neighbours, never
 * their labels), so slices may be finished in any order with the same result; the scratch buffers are
 * allocated once here.
 * Closing and filling only add pixels, so every pixel labelled s before keeps label s (unless it is airway).
 */
export function createSliceCloser(side: Uint8Array, dims: VolumeDims, radius: number, options: SliceCloserOptions): (z: number) => void {
  const { hu, leftIsHighColumn, posteriorIsHighRow, airway, realHu, pixelMm, sliceMm = 1 } = options;
  const concavities = new ConcavityScratch(dims.columns, dims.rows);
  const { columns, rows } = dims;
  const plane = columns * rows;
  const crop = new Uint8Array(plane);
  const scratch = new Uint8Array(plane);
  const stack = new RunStack();
  const paddedSize = (((columns + 2 * radius + 3) & ~3) * (rows + 2 * radius)); // rows in whole words: see closeSquare
  const padded = new Uint8Array(paddedSize);
  const tmp = new Uint8Array(paddedSize);
  const none = LUNG_SIDE_NONE; // a local: the imported binding is a getter call per pixel once transpiled to CommonJS
  const marks = new Uint8Array(plane);
  const rays = new ChestWallScratch();
  const sandwich = realHu && pixelMm !== undefined ? new SandwichScratch(plane) : undefined;
  /** Closes, fills and adds the hull pockets of side `s` on the slice at `base`, inside the side's bounding box. */
  const closeSide = (base: number, s: number): void => {
    // Bounding box from the side's row runs.
    const box = runsBoundingBox(side.subarray(base, base + plane), s, columns, rows);
    if (!box) return;
    const { x0, x1, y0, y1 } = box;
    // Closing never grows a set beyond its bounding box, so working on the crop is exact.
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    for (let y = 0; y < h; y++) {
      const row = base + (y0 + y) * columns + x0;
      for (let x = 0; x < w; x++) crop[y * w + x] = side[row + x] === s ? 1 : 0;
    }
    closeSquare(crop, w, h, radius, padded, tmp);
    fillHoles(crop, w, h, scratch, stack);
    // The right lung (at low columns when columns run to the patient's left) has its mediastinum toward +x.
    const medialSign = (s === LUNG_SIDE_RIGHT) === leftIsHighColumn ? 1 : -1;
    const origin = base + y0 * columns + x0;
    fillPleuralConcavities(crop, w, h, (x, y) => hu[origin + y * columns + x]!, { medialSign, posteriorSign: posteriorIsHighRow ? 1 : -1, solidBites: realHu }, concavities);
    for (let y = 0; y < h; y++) {
      const row = base + (y0 + y) * columns + x0;
      for (let x = 0; x < w; x++) {
        // A pixel already owned by the other lung stays there: closing must not bridge the lungs.
        if (crop[y * w + x] !== 0 && side[row + x] === none) side[row + x] = s;
      }
    }
  };
  return (z: number): void => {
    const base = z * plane;
    // The right lung's closing writes only label 1 into unlabelled pixels, so the left lung's box and result do not depend on it.
    closeSide(base, LUNG_SIDE_RIGHT);
    closeSide(base, LUNG_SIDE_LEFT);
    if (pixelMm !== undefined) {
      const sideSlice = side.subarray(base, base + plane);
      for (const s of [LUNG_SIDE_RIGHT, LUNG_SIDE_LEFT]) {
        const medialSign = (s === LUNG_SIDE_RIGHT) === leftIsHighColumn ? 1 : -1;
        marks.fill(0);
        if (markLesionsToChestWall(sideSlice, hu, z, columns, rows, s, { medialSign, posteriorSign: posteriorIsHighRow ? 1 : -1, pixelMm, sliceMm }, marks, rays) === 0) continue;
        for (let i = marks.indexOf(1); i >= 0; i = marks.indexOf(1, i + 1)) if (sideSlice[i] === none) sideSlice[i] = s;
        // The marked rays are joined into one lesion by the closing and the hull pockets between them.
        closeSide(base, s);
      }
    }
    if (sandwich && pixelMm !== undefined) {
      const sideSlice = side.subarray(base, base + plane);
      for (const s of [LUNG_SIDE_RIGHT, LUNG_SIDE_LEFT]) {
        marks.fill(0);
        if (markSandwichedLesions(sideSlice, hu, z, columns, rows, s, { pixelMm, sliceMm }, marks, sandwich) === 0) continue;
        for (let i = marks.indexOf(1); i >= 0; i = marks.indexOf(1, i + 1)) if (sideSlice[i] === none) sideSlice[i] = s;
        closeSide(base, s);
      }
    }
    const runs = airway?.[z];
    if (runs) {
      for (let k = 0; k < runs.length; k += 2) {
        side.fill(none, runs[k]!, runs[k + 1]!);
      }
    }
  };
}
