import type { PixelRect } from '../preprocess/resize';
import { type AxisTable, bilinearAxis, resizeBilinear } from '../preprocess/resize';

/**
 * The second output of a multi-class model for the same slice (docs/CONTRACTS.md §2): an infection
 * pixel is labelled 2 (consolidation) when its resized consolidation probability is >= `threshold`,
 * else 1 (ground-glass opacity).
 */
export interface ConsolidationPlane {
  /** S x S probabilities; not modified. */
  prob: Float32Array;
  threshold: number;
}

/**
 * resizeBilinear's value at one output pixel (same tables and arithmetic, rounded to float32 as its output is).
 * The lung loop of placeProbability keeps this arithmetic inline with its row terms hoisted: calling this
 * per pixel there measured 2.5 against 1.5 ms per 400 x 360 frame.
 */
function sampleAt(prob: Float32Array, inputSize: number, tx: AxisTable, ty: AxisTable, x: number, y: number): number {
  const row0 = ty.i0[y]! * inputSize;
  const row1 = ty.i1[y]! * inputSize;
  const wy1 = ty.w1[y]!;
  const c0 = tx.i0[x]!;
  const c1 = tx.i1[x]!;
  const wx1 = tx.w1[x]!;
  const wx0 = 1 - wx1;
  const top = prob[row0 + c0]! * wx0 + prob[row0 + c1]! * wx1;
  const bottom = prob[row1 + c0]! * wx0 + prob[row1 + c1]! * wx1;
  return Math.fround(top * (1 - wy1) + bottom * wy1);
}

/**
 * Postprocessing of docs/CONTRACTS.md §1: resize one S x S probability map back to the frame's size
 * (bilinear, align_corners=False), place it in the frame and threshold at `p >= threshold`.
 * Pixels outside the frame are left untouched (the caller zero-initialises them).
 * @param prob S x S probabilities; not modified. @param scratch caller-owned, >= frame area floats;
 *        without `allowed` it holds the resized probabilities on return; with it, only where allowed.
 * @param mask destination plane of `columns` columns, written inside the frame: 0/1, or with
 *        `consolidation` 0 / 1 (GGO) / 2 (consolidation). The union (non-zero) is the same either way.
 * @param allowed optional plane (same layout as mask): only non-zero pixels may become infection (the lung).
 * @param maskIsZero with `allowed`: the caller guarantees that `mask` is 0 inside the frame (a fresh volume
 *        mask, each slice placed once). Then only infection pixels are written and no other byte of `mask`
 *        is read, so a page of the mask without infection is never touched: reading a fresh page makes it
 *        resident as much as writing it (most of a job's infection mask is 0; 600 slices of 512² are 157 MB).
 */
export function placeProbability(
  prob: Float32Array,
  inputSize: number,
  frame: PixelRect,
  threshold: number,
  scratch: Float32Array,
  mask: Uint8Array,
  columns: number,
  allowed?: Uint8Array,
  consolidation?: ConsolidationPlane,
  maskIsZero = false,
): void {
  const tx = bilinearAxis(inputSize, frame.width);
  const ty = bilinearAxis(inputSize, frame.height);
  // Label of an infection pixel: the consolidation map is interpolated only there (most pixels are not).
  const label = consolidation
    ? (x: number, y: number) => (sampleAt(consolidation.prob, inputSize, tx, ty, x, y) >= consolidation.threshold ? 2 : 1)
    : () => 1;
  if (allowed === undefined) {
    resizeBilinear(prob, inputSize, { x: 0, y: 0, width: inputSize, height: inputSize }, scratch, frame.width, frame.height);
    for (let y = 0; y < frame.height; y++) {
      const row = (frame.y + y) * columns + frame.x;
      const src = y * frame.width;
      for (let x = 0; x < frame.width; x++) mask[row + x] = scratch[src + x]! >= threshold ? label(x, y) : 0;
    }
    return;
  }
  // Most of a frame is not lung: the probability is interpolated only where the lung allows infection,
  // with resizeBilinear's own tables and arithmetic (rounded to float32 as its output is), so every
  // allowed pixel gets exactly the value and the decision it got from the whole-frame resize.
  for (let y = 0; y < frame.height; y++) {
    const row = (frame.y + y) * columns + frame.x;
    const row0 = ty.i0[y]! * inputSize;
    const row1 = ty.i1[y]! * inputSize;
    const wy1 = ty.w1[y]!;
    const wy0 = 1 - wy1;
    for (let x = 0; x < frame.width; x++) {
      if (allowed[row + x] === 0) {
        // Written only when not already 0, and not even read on a mask known to be 0 (see maskIsZero).
        if (!maskIsZero && mask[row + x] !== 0) mask[row + x] = 0;
        continue;
      }
      const c0 = tx.i0[x]!;
      const c1 = tx.i1[x]!;
      const wx1 = tx.w1[x]!;
      const wx0 = 1 - wx1;
      const top = prob[row0 + c0]! * wx0 + prob[row0 + c1]! * wx1;
      const bottom = prob[row1 + c0]! * wx0 + prob[row1 + c1]! * wx1;
      const p = Math.fround(top * wy0 + bottom * wy1);
      scratch[y * frame.width + x] = p;
      const on = p >= threshold ? label(x, y) : 0;
      if (maskIsZero ? on !== 0 : mask[row + x] !== on) mask[row + x] = on;
    }
  }
}
