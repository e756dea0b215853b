import { InvalidInputError } from '../errors';
import type { PixelRect } from './resize';

/** The framing parameters of docs/CONTRACTS.md §1 step 2 (a subset of ModelContract). */
export interface FramingParams {
  /** Fraction of the box side added on each side. */
  frameMargin: number;
  /** Minimum frame width and height, mm. */
  minFrameMm: number;
  /** Minimum lung area for a slice to be framed at all, mm². */
  minLungAreaMm2: number;
}

/** In-plane pixel spacing: rowSpacingMm between adjacent rows (y), columnSpacingMm between columns (x). */
export interface PlaneSpacing {
  rowSpacingMm: number;
  columnSpacingMm: number;
}

/** Grows [lo, hi) (pixels) by `margin` of its length per side, to at least `minLength`, centred, clipped to [0, limit). */
function growAxis(lo: number, hi: number, margin: number, minLength: number, limit: number): [number, number] {
  const length = hi - lo;
  let a = lo - margin * length;
  let b = hi + margin * length;
  if (b - a < minLength) {
    const centre = (lo + hi) / 2;
    a = centre - minLength / 2;
    b = centre + minLength / 2;
  }
  const start = Math.max(0, Math.floor(a));
  const end = Math.min(limit, Math.ceil(b));
  return [start, end];
}

/**
 * The model frame of one slice (docs/CONTRACTS.md §1 step 2): the bounding box of the slice's lung
 * mask, grown by `frameMargin` per side, at least `minFrameMm` wide and high, clipped to the image.
 * @param lung one slice's mask, row-major `columns x rows`, non-zero = lung; not modified.
 * @returns the frame in pixels, or undefined when the lung area is below `minLungAreaMm2`
 *          (the slice is then not run through the model; its infection is 0).
 */
export function computeLungFrame(
  lung: Uint8Array,
  columns: number,
  rows: number,
  spacing: PlaneSpacing,
  params: FramingParams,
): PixelRect | undefined {
  if (lung.length !== columns * rows) {
    throw new InvalidInputError(`Framing failed: lung mask has ${lung.length} pixels, expected ${columns} x ${rows}`);
  }
  let minX = columns;
  let maxX = -1;
  let minY = rows;
  let maxY = -1;
  let count = 0;
  // Most of a slice is not lung: where the rows are whole 32-bit words, empty words are skipped four
  // pixels at a time (a slice of a volume that owns its buffer is aligned when columns % 4 === 0).
  const wordsPerRow = columns % 4 === 0 && lung.byteOffset % 4 === 0 ? columns >> 2 : 0;
  const words = wordsPerRow > 0 ? new Uint32Array(lung.buffer, lung.byteOffset, (columns * rows) >> 2) : undefined;
  for (let y = 0, i = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++, i++) {
      if (words && (x & 3) === 0 && words[i >> 2] === 0) {
        x += 3;
        i += 3;
        continue;
      }
      if (lung[i] === 0) continue;
      count++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  const areaMm2 = count * spacing.rowSpacingMm * spacing.columnSpacingMm;
  if (count === 0 || areaMm2 < params.minLungAreaMm2) return undefined;
  const [x0, x1] = growAxis(minX, maxX + 1, params.frameMargin, params.minFrameMm / spacing.columnSpacingMm, columns);
  const [y0, y1] = growAxis(minY, maxY + 1, params.frameMargin, params.minFrameMm / spacing.rowSpacingMm, rows);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
