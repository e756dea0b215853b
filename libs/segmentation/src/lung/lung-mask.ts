import { InvalidInputError } from '../errors';
import { createAirwayFilter } from './airway-filter';
import { removeAirwayTree } from './airway-tree';
import { createSliceCloser } from './close-and-fill';
import { LUNG_SIDE_LEFT, LUNG_SIDE_NONE, LUNG_SIDE_RIGHT } from './lung-side';
import { findLargestComponents3d, type KeptComponent } from './connected-components-3d';
import { clearBorderConnected } from './morphology-2d';
import { RunStack, spanFill } from './runs';

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

/**
 * Voxel spacing this algorithm accepts (mm). Outside it the closing radius (10 mm / spacing) is either
 * thousands of pixels or below one: a spacing of 1e-300 mm once asked for a 1e301-pixel closing. The
 * same range as libs/dicom's PIXEL_SPACING_RANGE_MM (in-plane) and SLICE_SPACING_RANGE_MM; keep in step.
 */
export const LUNG_MASK_SPACING_RANGE_MM = { inPlane: { min: 0.05, max: 10 }, slice: { min: 0.05, max: 50 } } as const;

export interface LungMaskOptions {
  /** Voxels below this HU are air-like (default -320). */
  thresholdHu?: number;
  /**
   * Radius of the per-slice square closing that smooths the lung outline (default 4 mm). Dense lesions
   * against the pleura are added by the hull-pocket step instead (see fillPleuralConcavities): a wide
   * square closing drew straight edges and boxes along the mediastinum and still left big lesions out.
   */
  closingRadiusMm?: number;
  /** A second component is kept as lung when at least this fraction of the largest (default 0.15). */
  secondComponentRatio?: number;
  /** Remove the trachea and main bronchi (3-D airway tree from the top, plus small midline blobs per slice); default true. */
  removeAirways?: boolean;
  /** True (default) when increasing slice index points toward the head (slice normal with +z in LPS). */
  slicesIncreaseTowardHead?: boolean;
  /** True (default) when increasing row points to the patient's back (column direction +y in LPS). */
  rowsIncreaseTowardPosterior?: boolean;
  /**
   * Whether increasing column index points to the patient's left. True for the usual axial
   * orientation (row direction cosine +x in LPS, where +x is patient Left). Default true.
   */
  columnsIncreaseTowardPatientLeft?: boolean;
}

export { LUNG_SIDE_LEFT, LUNG_SIDE_NONE, LUNG_SIDE_RIGHT };

/**
 * The lung as one label array: 0 none, 1 patient right lung, 2 patient left lung (LUNG_SIDE_*),
 * slice-major like the HU volume; non-zero is lung. One byte per voxel for both the mask and the side:
 * never add a second volume-sized array beside it (600 slices of 512² are 157 MB per byte array).
 */
export interface LungLabels {
  /** 0 none, 1 patient right lung, 2 patient left lung; slice-major. Caller owns it. */
  side: Uint8Array;
  /** How many 3-D air components were kept as lung (0, 1 or 2). */
  components: number;
}

export interface LungMask extends LungLabels {
  /** 0/1, slice-major like the HU volume: `side !== 0`, as a copy the caller owns. */
  mask: Uint8Array;
}

/**
 * Classical lung mask of a CT volume: HU threshold, removal of the air outside the body (per slice,
 * air 4-connected to the image border), the one or two largest 6-connected 3-D air components
 * (drops trachea when separate, bowel gas, noise), a right/left split (by component, else by the
 * emptiest column near the middle), removal of the trachea where it joins the lungs (small midline
 * blobs per slice, see createAirwayFilter), then per slice and side a square closing and hole filling so
 * that vessels, nodules and consolidation surrounded by lung count as lung.
 * @param hu HU, slice-major (`z * rows * columns + y * columns + x`); not modified.
 * @param spacing mm; only in-plane spacing drives the closing radius.
 */
export function computeLungMask(hu: Int16Array, dims: VolumeDims, spacing: VolumeSpacing, options: LungMaskOptions = {}): LungMask {
  const { finishSlice, side, components } = startLungMask(hu, dims, spacing, options);
  for (let z = 0; z < dims.slices; z++) finishSlice(z);
  const mask = new Uint8Array(side.length);
  for (let i = 0; i < side.length; i++) mask[i] = side[i] === 0 ? 0 : 1;
  return { mask, side, components };
}

/** Lung labels whose slices are final only once `finishSlice` ran on them (see startLungMask). */
export interface LungMaskInProgress extends LungLabels {
  /** Removes the midline airways from slice z, then closes and fills it; once per slice, in any order. */
  finishSlice(z: number): void;
}

/**
 * computeLungMask in two parts, so that a caller can start work on the first slices (e.g. the model)
 * while later ones are still being finished: the 3-D part runs here (threshold, outside air,
 * components, right/left split); the per-slice rest runs in `finishSlice`. The labels of a slice are
 * final after its `finishSlice` (before it they hold the raw air components). Same parameters and
 * labels as computeLungMask, without its 0/1 copy: lung is `side !== 0`.
 * Memory: the HU volume plus one byte per voxel (the 3-D pass's air map becomes the labels).
 */
export function startLungMask(hu: Int16Array, dims: VolumeDims, spacing: VolumeSpacing, options: LungMaskOptions = {}): LungMaskInProgress {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  if (!(columns > 0 && rows > 0 && slices > 0) || hu.length !== plane * slices) {
    throw new InvalidInputError(`Lung mask failed: HU volume has ${hu.length} voxels, expected ${columns} x ${rows} x ${slices}`);
  }
  const { inPlane, slice } = LUNG_MASK_SPACING_RANGE_MM;
  const within = (v: number, range: { min: number; max: number }) => Number.isFinite(v) && v >= range.min && v <= range.max;
  if (!within(spacing.rowSpacingMm, inPlane) || !within(spacing.columnSpacingMm, inPlane) || !within(spacing.sliceSpacingMm, slice)) {
    throw new InvalidInputError(
      `Lung mask failed: voxel spacing ${spacing.rowSpacingMm} x ${spacing.columnSpacingMm} x ${spacing.sliceSpacingMm} mm is outside ${inPlane.min}-${inPlane.max} mm in-plane, ${slice.min}-${slice.max} mm between slices`,
    );
  }
  // HU are integers, so hu < t exactly when hu < ceil(t); clamping to the int16 range changes no
  // comparison and keeps hu - t within int32 for the branch-free test below.
  const thresholdHu = Math.min(32768, Math.max(-32768, Math.ceil(options.thresholdHu ?? -320)));
  const ratio = options.secondComponentRatio ?? 0.15;
  const leftIsHighColumn = options.columnsIncreaseTowardPatientLeft ?? true;
  const radius = Math.round((options.closingRadiusMm ?? 4) / Math.min(spacing.rowSpacingMm, spacing.columnSpacingMm));
  const removeAirways = options.removeAirways ?? true;

  const air = new Uint8Array(hu.length);
  const stack = new RunStack();
  // Threshold and clear one slice at a time in a plane of scratch, then copy only the words that hold
  // internal air into the volume (most of a slice is the air outside the body, cleared here).
  const airSlice = new Uint8Array(plane);
  const words = plane % 4 === 0 ? new Uint32Array(airSlice.buffer, 0, plane >> 2) : undefined;
  const air32 = words ? new Uint32Array(air.buffer, 0, hu.length >> 2) : undefined;
  for (let z = 0; z < slices; z++) {
    const base = z * plane;
    // (hu - threshold) >>> 31 is 1 exactly when hu < threshold (both fit int16, no overflow); branch-free.
    for (let i = 0; i < plane; i++) airSlice[i] = (hu[base + i]! - thresholdHu) >>> 31;
    clearBorderConnected(airSlice, columns, rows, stack);
    if (words && air32) {
      const at = base >> 2; // plane % 4 === 0, so every slice starts on a word
      for (let w = 0; w < words.length; w++) if (words[w] !== 0) air32[at + w] = words[w]!;
    } else {
      air.set(airSlice, base);
    }
  }

  // The trachea and main bronchi leave the air before the components are found: they usually join
  // both lungs into one component, which then had to be split by a straight cut.
  const airway = removeAirways
    ? removeAirwayTree(air, hu, dims, spacing, { slicesIncreaseTowardHead: options.slicesIncreaseTowardHead ?? true })
    : undefined;

  // air becomes: 0 background, 2 dropped air, 3 / 4 the kept components (largest first).
  const kept = findLargestComponents3d(air, columns, rows, 2, ratio);

  // The kept components' runs are all that is left to read of the air map, so its buffer becomes the
  // side labels. Never allocate a fresh array here: the air map would stay resident as garbage until
  // the next GC, while inference starts (157 MB at 600 slices), and a fresh array's pages become
  // resident anyway once read (framing and quantification read every page; so does indexOf).
  const side = air.fill(0);
  if (kept.length === 2) {
    // Two separate lungs: the one whose mean column is higher lies toward +column.
    const [first, second] = kept as [KeptComponent, KeptComponent];
    const firstIsHighColumn = sumColumns(first.runs, columns) / first.size > sumColumns(second.runs, columns) / second.size;
    const highSide = leftIsHighColumn ? LUNG_SIDE_LEFT : LUNG_SIDE_RIGHT;
    const lowSide = leftIsHighColumn ? LUNG_SIDE_RIGHT : LUNG_SIDE_LEFT;
    fillRuns(side, first.runs, firstIsHighColumn ? highSide : lowSide);
    fillRuns(side, second.runs, firstIsHighColumn ? lowSide : highSide);
  } else if (kept.length === 1) {
    splitByMidline(kept[0]!.runs, columns, side, leftIsHighColumn);
    splitSlicesByBlob(side, dims, leftIsHighColumn, stack);
  }

  // The kept components' runs are exactly the lung voxels of `side` at this point.
  const removeMidlineBlobs = removeAirways ? createAirwayFilter(side, dims, spacing, { lungRuns: kept.map((c) => c.runs) }) : undefined;
  const closeAndFill = createSliceCloser(side, dims, radius, { hu, realHu: true, pixelMm: Math.min(spacing.rowSpacingMm, spacing.columnSpacingMm), sliceMm: spacing.sliceSpacingMm, leftIsHighColumn, posteriorIsHighRow: options.rowsIncreaseTowardPosterior ?? true, ...(airway ? { airway } : {}) });
  return {
    side,
    components: kept.length,
    finishSlice: (z) => {
      removeMidlineBlobs?.(z);
      closeAndFill(z);
    },
  };
}

/** One component holding both lungs (joined through the trachea): split at the emptiest column of its middle third. */
function splitByMidline(runs: Int32Array, columns: number, side: Uint8Array, leftIsHighColumn: boolean): void {
  // Voxels per column, from the runs: +1 where a run starts, -1 after it ends, then a running sum.
  const histogram = new Float64Array(columns + 1);
  for (let k = 0; k < runs.length; k += 2) {
    const x = runs[k]! % columns;
    histogram[x]!++;
    histogram[x + runs[k + 1]! - runs[k]!]!--;
  }
  for (let x = 1; x < columns; x++) histogram[x]! += histogram[x - 1]!;
  let minX = 0;
  while (minX < columns && histogram[minX] === 0) minX++;
  let maxX = columns - 1;
  while (maxX > minX && histogram[maxX] === 0) maxX--;
  const third = Math.floor((maxX - minX + 1) / 3);
  let mid = Math.floor((minX + maxX) / 2);
  for (let x = minX + third; x <= maxX - third; x++) if (histogram[x]! < histogram[mid]!) mid = x;
  const low = leftIsHighColumn ? LUNG_SIDE_RIGHT : LUNG_SIDE_LEFT;
  const high = leftIsHighColumn ? LUNG_SIDE_LEFT : LUNG_SIDE_RIGHT;
  for (let k = 0; k < runs.length; k += 2) {
    const start = runs[k]!;
    const end = runs[k + 1]!;
    // The run's part left of `mid` is `low`, the rest `high`.
    const split = Math.min(end, Math.max(start, start - (start % columns) + mid));
    side.fill(low, start, split);
    side.fill(high, split, end);
  }
}

/**
 * After splitByMidline's one straight cut through the whole volume, settles each slice by its 2-D lung
 * blobs: a blob lying mostly on one side of the cut (a lung that crosses the midline, e.g. the left lung
 * behind the heart) goes wholly to that side; a blob with at least a quarter on each side (both lungs
 * touching at the anterior or posterior junction line) is cut at its own emptiest column in the middle
 * third of its width, on this slice only, so the cut follows the junction from slice to slice.
 */
function splitSlicesByBlob(side: Uint8Array, dims: VolumeDims, leftIsHighColumn: boolean, stack: RunStack): void {
  const { columns, rows, slices } = dims;
  const plane = columns * rows;
  const low = leftIsHighColumn ? LUNG_SIDE_RIGHT : LUNG_SIDE_LEFT;
  const high = leftIsHighColumn ? LUNG_SIDE_LEFT : LUNG_SIDE_RIGHT;
  const blobs = new Uint8Array(plane);
  const runs = new RunStack();
  const histogram = new Int32Array(columns);
  for (let z = 0; z < slices; z++) {
    const s = side.subarray(z * plane, (z + 1) * plane);
    if (s.indexOf(LUNG_SIDE_RIGHT) < 0 && s.indexOf(LUNG_SIDE_LEFT) < 0) continue;
    for (let i = 0; i < plane; i++) blobs[i] = s[i] === LUNG_SIDE_NONE ? 0 : 1;
    for (let seed = blobs.indexOf(1); seed >= 0; seed = blobs.indexOf(1, seed + 1)) {
      runs.top = 0;
      const count = spanFill(blobs, columns, plane, seed, 1, 2, stack, runs);
      let lowCount = 0;
      let minX = columns;
      let maxX = -1;
      histogram.fill(0);
      for (let k = 0; k < runs.top; k += 2) {
        const start = runs.data[k]!;
        const end = runs.data[k + 1]!;
        const x = start % columns;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x + end - start - 1);
        for (let i = start; i < end; i++) {
          if (s[i] === low) lowCount++;
          histogram[i - start + x]!++;
        }
      }
      const lowShare = lowCount / count;
      let cut: number;
      if (lowShare >= 0.75) cut = columns;
      else if (lowShare <= 0.25) cut = 0;
      else {
        const third = Math.floor((maxX - minX + 1) / 3);
        cut = minX + third;
        for (let x = minX + third; x <= maxX - third; x++) if (histogram[x]! < histogram[cut]!) cut = x;
      }
      for (let k = 0; k < runs.top; k += 2) {
        const start = runs.data[k]!;
        const end = runs.data[k + 1]!;
        const split = Math.min(end, Math.max(start, start - (start % columns) + cut));
        s.fill(low, start, split);
        s.fill(high, split, end);
      }
    }
  }
}

/** Sum of the column index over the voxels of some row runs ([start, end) pairs). */
function sumColumns(runs: Int32Array, columns: number): number {
  let sum = 0;
  // Integer sums, exact in float64: the same value as adding x voxel by voxel.
  for (let k = 0; k < runs.length; k += 2) {
    const count = runs[k + 1]! - runs[k]!;
    sum += count * (runs[k]! % columns) + (count * (count - 1)) / 2;
  }
  return sum;
}

function fillRuns(values: Uint8Array, runs: Int32Array, value: number): void {
  for (let k = 0; k < runs.length; k += 2) values.fill(value, runs[k]!, runs[k + 1]!);
}
