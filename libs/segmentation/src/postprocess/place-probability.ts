import type { PixelRect } from '../preprocess/resize';
import { resizeBilinear } from '../preprocess/resize';

/**
 * Postprocessing of docs/CONTRACTS.md §1: resize one S x S probability map back to the frame's size
 * (bilinear, align_corners=False), place it in the frame and threshold at `p >= threshold`.
 * Pixels outside the frame are left untouched (the caller zero-initialises them).
 * @param prob S x S probabilities; not modified. @param scratch caller-owned, >= frame area floats;
 *        holds the resized probabilities on return.
 * @param mask destination plane of `columns` columns, written 0/1 inside the frame.
 * @param allowed optional plane (same layout as mask): only non-zero pixels may become 1 (the lung).
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
): void {
  resizeBilinear(prob, inputSize, { x: 0, y: 0, width: inputSize, height: inputSize }, scratch, frame.width, frame.height);
  for (let y = 0; y < frame.height; y++) {
    const row = (frame.y + y) * columns + frame.x;
    const src = y * frame.width;
    for (let x = 0; x < frame.width; x++) {
      const on = scratch[src + x]! >= threshold && (allowed === undefined || allowed[row + x] !== 0);
      mask[row + x] = on ? 1 : 0;
    }
  }
}
