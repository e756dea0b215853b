/*
 * 2-D binary morphology on one row-major plane (values 0/1). All functions work in place or into
 * caller-owned scratch buffers, so the per-slice loops of the lung mask allocate nothing.
 */
import { forEachRun, RunStack, spanFill } from './runs';

/**
 * Clears every pixel of `mask` (0/1) that is 4-connected to the plane border: used to drop the
 * air outside the body from a "below -320 HU" mask.
 * @param stack scratch, reused between calls.
 */
export function clearBorderConnected(mask: Uint8Array, width: number, height: number, stack: RunStack = new RunStack()): void {
  const plane = width * height;
  const m = mask.subarray(0, plane);
  const seed = (i: number): void => {
    if (m[i] === 1) spanFill(m, width, plane, i, 1, 0, stack);
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
}

/**
 * Fills holes: sets to 1 every 0-pixel not 4-connected to the plane border (vessels, nodules and
 * consolidation enclosed by aerated lung become lung).
 * @param scratch at least width*height bytes; @param stack scratch, reused between calls.
 */
export function fillHoles(mask: Uint8Array, width: number, height: number, scratch: Uint8Array, stack: RunStack = new RunStack()): void {
  const n = width * height;
  // scratch = background; remove the background reachable from the border; what remains are holes.
  for (let i = 0; i < n; i++) scratch[i] = mask[i] === 0 ? 1 : 0;
  clearBorderConnected(scratch, width, height, stack);
  for (let i = 0; i < n; i++) if (scratch[i] !== 0) mask[i] = 1;
}

/**
 * Binary dilation (erode = false) or erosion (erode = true) with a (2r+1)² square, separable, using
 * running counts so the cost is independent of r. Pixels outside the plane count as background.
 * @param tmp scratch of at least width*height bytes.
 */
export function squareMorphology(mask: Uint8Array, width: number, height: number, radius: number, erode: boolean, tmp: Uint8Array): void {
  const size = 2 * radius + 1;
  // Horizontal pass: mask -> tmp, run by run. A pixel's (2r+1)-window meets a run [s, e) when it
  // lies in [s - r, e + r) (dilation), and lies wholly inside it when in [s + r, e - r) (erosion;
  // pixels outside the plane count as background, so a run never extends past its row).
  tmp.fill(0, 0, width * height);
  forEachRun(mask.subarray(0, width * height), 1, width, (start, end) => {
    const rowStart = start - (start % width);
    if (erode) {
      if (end - start > 2 * radius) tmp.fill(1, start + radius, end - radius);
    } else {
      tmp.fill(1, Math.max(rowStart, start - radius), Math.min(rowStart + width, end + radius));
    }
  });
  if (width % 4 === 0 && mask.byteOffset % 4 === 0 && tmp.byteOffset % 4 === 0 && size < 256) verticalPassWords(tmp, mask, width, height, radius, erode);
  else verticalPass(tmp, mask, width, height, radius, erode);
}

/**
 * Vertical pass: tmp -> mask, row by row with one running count per column, so that memory is read
 * in order (a column-by-column walk strides a whole row per step and misses the cache).
 */
function verticalPass(tmp: Uint8Array, mask: Uint8Array, width: number, height: number, radius: number, erode: boolean): void {
  const size = 2 * radius + 1;
  const counts = new Int32Array(width);
  for (let y = 0; y < Math.min(radius, height); y++) for (let x = 0; x < width; x++) counts[x] += tmp[y * width + x]!;
  for (let y = 0; y < height; y++) {
    const add = y + radius;
    const drop = y - radius - 1;
    if (add < height) for (let x = 0, i = add * width; x < width; x++, i++) counts[x] += tmp[i]!;
    if (drop >= 0) for (let x = 0, i = drop * width; x < width; x++, i++) counts[x] -= tmp[i]!;
    const row = y * width;
    if (erode) for (let x = 0; x < width; x++) mask[row + x] = counts[x] === size ? 1 : 0;
    else for (let x = 0; x < width; x++) mask[row + x] = counts[x]! > 0 ? 1 : 0;
  }
}

const LANES = 0x01010101;

/**
 * verticalPass four columns at a time: each byte of a 32-bit word holds one column's count. Exact
 * because a count never exceeds 2r+1 < 256 (no carry into the next byte) and a row is only dropped
 * after it was added (no borrow). Then per byte: dilation keeps count > 0, erosion count === 2r+1,
 * found by OR-folding a byte's bits into its lowest bit (shifts under 8 never mix bytes in bit 0).
 */
function verticalPassWords(tmp: Uint8Array, mask: Uint8Array, width: number, height: number, radius: number, erode: boolean): void {
  const words = width >> 2;
  const src = new Uint32Array(tmp.buffer, tmp.byteOffset, words * height);
  const dst = new Uint32Array(mask.buffer, mask.byteOffset, words * height);
  const full = (2 * radius + 1) * LANES;
  const counts = new Uint32Array(words);
  for (let y = 0; y < Math.min(radius, height); y++) for (let j = 0; j < words; j++) counts[j] += src[y * words + j]!;
  for (let y = 0; y < height; y++) {
    const add = y + radius;
    const drop = y - radius - 1;
    if (add < height) for (let j = 0, i = add * words; j < words; j++, i++) counts[j] += src[i]!;
    if (drop >= 0) for (let j = 0, i = drop * words; j < words; j++, i++) counts[j] -= src[i]!;
    for (let j = 0, i = y * words; j < words; j++, i++) {
      const c = erode ? counts[j]! ^ full : counts[j]!;
      const any = (c | (c >>> 1) | (c >>> 2) | (c >>> 3) | (c >>> 4) | (c >>> 5) | (c >>> 6) | (c >>> 7)) & LANES;
      dst[i] = erode ? any ^ LANES : any;
    }
  }
}

/**
 * Morphological closing (dilate, then erode) with a (2r+1)² square. The plane is padded by r on
 * every side first (into `padded`) so that erosion does not eat lung that touches the plane edge.
 * @param padded scratch of (width+2r)*(height+2r) bytes, or with width+2r rounded up to a multiple of 4
 *        for speed; @param tmp scratch of the same size.
 */
export function closeSquare(mask: Uint8Array, width: number, height: number, radius: number, padded: Uint8Array, tmp: Uint8Array): void {
  if (radius < 1) return;
  // Rows rounded up to whole 32-bit words when the scratch allows (see verticalPassWords). The extra
  // columns change nothing: dilation of the crop reaches r pixels past it, i.e. the unrounded padding.
  const exact = width + 2 * radius;
  const rounded = (exact + 3) & ~3;
  const pw = rounded * (height + 2 * radius) <= Math.min(padded.length, tmp.length) ? rounded : exact;
  const ph = height + 2 * radius;
  padded.fill(0, 0, pw * ph);
  for (let y = 0; y < height; y++) padded.set(mask.subarray(y * width, (y + 1) * width), (y + radius) * pw + radius);
  squareMorphology(padded, pw, ph, radius, false, tmp);
  squareMorphology(padded, pw, ph, radius, true, tmp);
  for (let y = 0; y < height; y++) mask.set(padded.subarray((y + radius) * pw + radius, (y + radius) * pw + radius + width), y * width);
}
