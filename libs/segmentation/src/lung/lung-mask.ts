import { InvalidInputError } from '../errors';
import { removeMidlineAirways } from './airway-filter';
import { labelComponents3d } from './connected-components-3d';
import { clearBorderConnected, closeSquare, fillHoles } from './morphology-2d';

/** Volume size in voxels; arrays are slice-major: `z * rows * columns + y * columns + x`. */
export interface VolumeDims {
  columns: number;
  rows: number;
  slices: number;
}

/** Voxel spacing in mm: between rows (y), between columns (x), between slices (z). */
export interface VolumeSpacing {
  rowSpacingMm: number;
  columnSpacingMm: number;
  sliceSpacingMm: number;
}

export interface LungMaskOptions {
  /** Voxels below this HU are air-like (default -320). */
  thresholdHu?: number;
  /** Radius of the per-slice closing that pulls pleura-based consolidation into the lung (default 10 mm). */
  closingRadiusMm?: number;
  /** A second component is kept as lung when at least this fraction of the largest (default 0.15). */
  secondComponentRatio?: number;
  /** Drop small 2-D lung blobs at the midline (the trachea) per slice; default true. */
  removeAirways?: boolean;
  /**
   * Whether increasing column index points to the patient's left. True for the usual axial
   * orientation (row direction cosine +x in LPS, where +x is patient Left). Default true.
   */
  columnsIncreaseTowardPatientLeft?: boolean;
}

export const LUNG_SIDE_NONE = 0;
export const LUNG_SIDE_RIGHT = 1;
export const LUNG_SIDE_LEFT = 2;

export interface LungMask {
  /** 0/1, slice-major like the HU volume. Caller owns it. */
  mask: Uint8Array;
  /** 0 none, 1 patient right lung, 2 patient left lung; slice-major. Caller owns it. */
  side: Uint8Array;
  /** How many 3-D air components were kept as lung (0, 1 or 2). */
  components: number;
}

/**
 * Classical lung mask of a CT volume: HU threshold, removal of the air outside the body (per slice,
 * air 4-connected to the image border), the one or two largest 6-connected 3-D air components
 * (drops trachea when separate, bowel gas, noise), a right/left split (by component, else by the
 * emptiest column near the middle), removal of the trachea where it joins the lungs (small midline
 * blobs per slice, see removeMidlineAirways), then per slice and side a square closing and hole filling so
 * that vessels, nodules and consolidation surrounded by lung count as lung.
 * @param hu HU, slice-major (`z * rows * columns + y * columns + x`); not modified.
 * @param spacing mm; only in-plane spacing drives the closing radius.
 */
export function computeLungMask(hu: Int16Array, dims: VolumeDims, spacing: VolumeSpacing, options: LungMaskOptions = {}): LungMask {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  if (!(columns > 0 && rows > 0 && slices > 0) || hu.length !== plane * slices) {
    throw new InvalidInputError(`Lung mask failed: HU volume has ${hu.length} voxels, expected ${columns} x ${rows} x ${slices}`);
  }
  if (!(spacing.rowSpacingMm > 0 && spacing.columnSpacingMm > 0 && spacing.sliceSpacingMm > 0)) {
    throw new InvalidInputError('Lung mask failed: voxel spacing must be positive');
  }
  const thresholdHu = options.thresholdHu ?? -320;
  const ratio = options.secondComponentRatio ?? 0.15;
  const leftIsHighColumn = options.columnsIncreaseTowardPatientLeft ?? true;
  const radius = Math.round((options.closingRadiusMm ?? 10) / Math.min(spacing.rowSpacingMm, spacing.columnSpacingMm));

  const air = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) air[i] = hu[i]! < thresholdHu ? 1 : 0;
  const stack = new Int32Array(plane);
  for (let z = 0; z < slices; z++) clearBorderConnected(air.subarray(z * plane, (z + 1) * plane), columns, rows, stack);

  const { labels, sizes } = labelComponents3d(air, columns, rows, slices);
  const ranked = sizes.map((size, label) => ({ size, label })).filter((c) => c.label > 0 && c.size > 0).sort((a, b) => b.size - a.size);
  const kept = ranked.slice(0, 2).filter((c, i) => i === 0 || c.size >= ratio * ranked[0]!.size);

  const side = new Uint8Array(hu.length);
  if (kept.length === 2) {
    // Two separate lungs: the one whose mean column is higher lies toward +column.
    const meanColumn = kept.map(() => 0);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l === kept[0]!.label) meanColumn[0]! += i % columns;
      else if (l === kept[1]!.label) meanColumn[1]! += i % columns;
    }
    const highColumnIsFirst = meanColumn[0]! / kept[0]!.size > meanColumn[1]! / kept[1]!.size;
    const highSide = leftIsHighColumn ? LUNG_SIDE_LEFT : LUNG_SIDE_RIGHT;
    const lowSide = leftIsHighColumn ? LUNG_SIDE_RIGHT : LUNG_SIDE_LEFT;
    const first = highColumnIsFirst ? highSide : lowSide;
    const second = highColumnIsFirst ? lowSide : highSide;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l === kept[0]!.label) side[i] = first;
      else if (l === kept[1]!.label) side[i] = second;
    }
  } else if (kept.length === 1) {
    splitByMidline(labels, kept[0]!.label, columns, side, leftIsHighColumn);
  }

  if (options.removeAirways ?? true) removeMidlineAirways(side, dims, spacing);
  const mask = new Uint8Array(hu.length);
  closeAndFillPerSlice(side, mask, dims, radius);
  return { mask, side, components: kept.length };
}

/** One component holding both lungs (joined through the trachea): split at the emptiest column of its middle third. */
function splitByMidline(labels: Int32Array, label: number, columns: number, side: Uint8Array, leftIsHighColumn: boolean): void {
  const histogram = new Float64Array(columns);
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) histogram[i % columns]!++;
  let minX = 0;
  while (minX < columns && histogram[minX] === 0) minX++;
  let maxX = columns - 1;
  while (maxX > minX && histogram[maxX] === 0) maxX--;
  const third = Math.floor((maxX - minX + 1) / 3);
  let mid = Math.floor((minX + maxX) / 2);
  for (let x = minX + third; x <= maxX - third; x++) if (histogram[x]! < histogram[mid]!) mid = x;
  const low = leftIsHighColumn ? LUNG_SIDE_RIGHT : LUNG_SIDE_LEFT;
  const high = leftIsHighColumn ? LUNG_SIDE_LEFT : LUNG_SIDE_RIGHT;
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) side[i] = i % columns < mid ? low : high;
}

/** Per slice and side: close then fill holes inside the side's bounding box; writes side labels and the 0/1 mask. */
function closeAndFillPerSlice(side: Uint8Array, mask: Uint8Array, dims: VolumeDims, radius: number): void {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  const crop = new Uint8Array(plane);
  const scratch = new Uint8Array(plane);
  const stack = new Int32Array(plane);
  const paddedSize = (columns + 2 * radius) * (rows + 2 * radius);
  const padded = new Uint8Array(paddedSize);
  const tmp = new Uint8Array(paddedSize);
  for (let z = 0; z < slices; z++) {
    const base = z * plane;
    for (const s of [LUNG_SIDE_RIGHT, LUNG_SIDE_LEFT]) {
      let x0 = columns, x1 = -1, y0 = rows, y1 = -1;
      for (let y = 0, i = base; y < rows; y++) {
        for (let x = 0; x < columns; x++, i++) {
          if (side[i] !== s) continue;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
      if (x1 < 0) continue;
      // Closing never grows a set beyond its bounding box, so working on the crop is exact.
      const w = x1 - x0 + 1;
      const h = y1 - y0 + 1;
      for (let y = 0; y < h; y++) {
        const row = base + (y0 + y) * columns + x0;
        for (let x = 0; x < w; x++) crop[y * w + x] = side[row + x] === s ? 1 : 0;
      }
      closeSquare(crop, w, h, radius, padded, tmp);
      fillHoles(crop, w, h, scratch, stack);
      for (let y = 0; y < h; y++) {
        const row = base + (y0 + y) * columns + x0;
        for (let x = 0; x < w; x++) {
          // A pixel already owned by the other lung stays there: closing must not bridge the lungs.
          const owner = side[row + x]!;
          if (crop[y * w + x] === 0 || mask[row + x] !== 0 || (owner !== LUNG_SIDE_NONE && owner !== s)) continue;
          mask[row + x] = 1;
          side[row + x] = s;
        }
      }
    }
  }
}
