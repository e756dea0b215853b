import type { PixelRect } from '../preprocess/resize';
import { createSliceCloser } from './close-and-fill';
import { LUNG_SIDE_LEFT, LUNG_SIDE_RIGHT } from './lung-side';
import { clearBorderConnected } from './morphology-2d';
import { RunStack, spanFill } from './runs';

/** Grey levels below this are black (a lung in a soft-tissue window: below about -110 HU at W400 L40). */
const BLACK = 32;

/** The lungs found in an 8-bit picture of one axial CT slice. */
export interface GrayLungs {
  /** 0/1 lung, row-major like the picture. Caller owns it. */
  mask: Uint8Array;
  /** The lungs' bounding box grown by `margin` per side, clipped to the picture. */
  frame: PixelRect;
  /** True when that frame is (nearly) the whole picture: the picture was already cropped to the thorax. */
  alreadyFramed: boolean;
}

export interface GrayLungOptions {
  /** Fraction of the lung box side added on each side (the contract's frameMargin). */
  margin: number;
  /** The frame counts as the whole picture when it covers at least this fraction of each side (default 0.9). */
  wholeFraction?: number;
  /**
   * Lungs are looked for only when at least this fraction of the picture's border is dark (default 0.5):
   * air around the body, i.e. a full-field picture. The thorax crops of the training set have 0-35 %
   * (their border runs through the body and the lungs); a full-field render about 90-100 %.
   */
  minDarkBorder?: number;
}

/**
 * Finds the lungs in an 8-bit picture of an axial chest CT slice whose window and field of view are
 * unknown (a screenshot or export: lung, mediastinal or bone window; with or without the table;
 * full field or cropped to the thorax). Without HU, "dark" is what Otsu's threshold puts below it
 * (only black when the dark class is nearly all black, as in a soft-tissue window): in any window,
 * the lungs are darker than soft tissue. The air outside the body is
 * the dark connected to the picture border; the lungs are the one or two largest remaining dark
 * regions, each at least 0.5 % of the picture and not a thin stripe (the hollow of a CT table). They
 * are then closed, filled and given their dense pleural pockets like a DICOM slice's lung mask
 * (samples >= 250 count as bone). Rows are assumed to run anterior to posterior, the display convention.
 * @param pixels 8-bit grey, row-major; not modified.
 * @returns undefined for a picture already cropped to the thorax (its border is mostly body, see
 *          `minDarkBorder`), and when no plausible lungs are found (less than 2 % of the picture).
 */
export function findLungsInGray(pixels: Uint8Array, width: number, height: number, options: GrayLungOptions): GrayLungs | undefined {
  const plane = width * height;
  let t = otsuThreshold(pixels);
  // A soft-tissue (mediastinal) window paints lung and outside air black and fat dark grey, and Otsu
  // then counts the fat as dark. When nearly all of the dark class is black, only black is dark.
  let darkCount = 0;
  let blackCount = 0;
  for (let i = 0; i < plane; i++) {
    if (pixels[i]! < t) darkCount++;
    if (pixels[i]! < BLACK) blackCount++;
  }
  if (t > BLACK && blackCount >= 0.8 * darkCount) t = BLACK;
  const dark = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) dark[i] = pixels[i]! < t ? 1 : 0;
  let darkBorder = 0;
  for (let x = 0; x < width; x++) darkBorder += dark[x]! + dark[(height - 1) * width + x]!;
  for (let y = 0; y < height; y++) darkBorder += dark[y * width]! + dark[y * width + width - 1]!;
  if (darkBorder < (options.minDarkBorder ?? 0.5) * 2 * (width + height)) return undefined;
  const stack = new RunStack();
  clearBorderConnected(dark, width, height, stack);

  const runs = new RunStack();
  const blobs: { runs: Int32Array; count: number; meanX: number }[] = [];
  for (let seed = dark.indexOf(1); seed >= 0; seed = dark.indexOf(1, seed + 1)) {
    runs.top = 0;
    const count = spanFill(dark, width, plane, seed, 1, 2, stack, runs);
    if (count < 0.005 * plane) continue;
    let x0 = width, x1 = -1, y0 = height, y1 = -1, sumX = 0;
    for (let k = 0; k < runs.top; k += 2) {
      const start = runs.data[k]!;
      const length = runs.data[k + 1]! - start;
      const x = start % width;
      const y = (start - x) / width;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x + length - 1);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      sumX += length * x + (length * (length - 1)) / 2;
    }
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    // A lung is a compact blob; the hollow of a CT table is a long thin stripe.
    if (Math.max(w / h, h / w) > 4 || count < 0.2 * w * h) continue;
    blobs.push({ runs: runs.data.slice(0, runs.top), count, meanX: sumX / count });
  }
  blobs.sort((a, b) => b.count - a.count);
  const lungs = blobs.slice(0, 2).filter((b, i) => i === 0 || b.count >= 0.1 * blobs[0]!.count);
  const total = lungs.reduce((a, b) => a + b.count, 0);
  if (total < 0.02 * plane) return undefined;

  // The blob at lower columns is the patient's right lung (radiological display); one blob may hold both.
  lungs.sort((a, b) => a.meanX - b.meanX);
  const side = new Uint8Array(plane);
  lungs.forEach((b, i) => {
    for (let k = 0; k < b.runs.length; k += 2) side.fill(i === 0 ? LUNG_SIDE_RIGHT : LUNG_SIDE_LEFT, b.runs[k]!, b.runs[k + 1]!);
  });
  // Pseudo-HU for the pocket rule: only the brightest samples (bone in a lung window) are "dense".
  const hu = new Int16Array(plane);
  for (let i = 0; i < plane; i++) hu[i] = pixels[i]! >= 250 ? 1000 : 0;
  // Closing radius about 1 % of the picture (4 mm on a 350 mm field of 512 px).
  const radius = Math.max(1, Math.round(0.01 * Math.max(width, height)));
  createSliceCloser(side, { columns: width, rows: height, slices: 1 }, radius, { hu, realHu: false, leftIsHighColumn: true, posteriorIsHighRow: true })(0);
  // The closed side labels, as the 0/1 mask this function returns (a single plane: the copy is cheap).
  const mask = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) mask[i] = side[i] === 0 ? 0 : 1;

  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = mask.subarray(y * width, (y + 1) * width);
    const first = row.indexOf(1);
    if (first < 0) continue;
    x0 = Math.min(x0, first);
    x1 = Math.max(x1, row.lastIndexOf(1));
    y0 = Math.min(y0, y);
    y1 = y;
  }
  const grow = (lo: number, hi: number, limit: number): [number, number] => {
    const m = options.margin * (hi - lo + 1);
    return [Math.max(0, Math.floor(lo - m)), Math.min(limit, Math.ceil(hi + 1 + m))];
  };
  const [fx0, fx1] = grow(x0, x1, width);
  const [fy0, fy1] = grow(y0, y1, height);
  const whole = options.wholeFraction ?? 0.9;
  const alreadyFramed = fx1 - fx0 >= whole * width && fy1 - fy0 >= whole * height;
  const frame = alreadyFramed ? { x: 0, y: 0, width, height } : { x: fx0, y: fy0, width: fx1 - fx0, height: fy1 - fy0 };
  return { mask, frame, alreadyFramed };
}

/** Otsu's threshold of an 8-bit picture: the level that best separates dark from bright (between-class variance). */
export function otsuThreshold(pixels: Uint8Array): number {
  const histogram = new Float64Array(256);
  for (let i = 0; i < pixels.length; i++) histogram[pixels[i]!]!++;
  const total = pixels.length;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * histogram[v]!;
  let below = 0;
  let sumBelow = 0;
  let best = 0;
  let threshold = 128;
  for (let v = 0; v < 255; v++) {
    below += histogram[v]!;
    sumBelow += v * histogram[v]!;
    const above = total - below;
    if (below === 0 || above === 0) continue;
    const diff = sumBelow / below - (sum - sumBelow) / above;
    const between = below * above * diff * diff;
    if (between > best) {
      best = between;
      threshold = v + 1;
    }
  }
  return threshold;
}
