import { type PixelRect, resizeBilinear } from './resize';

/**
 * Steps 3-4 of docs/CONTRACTS.md §1 for one slice: resize the framed 8-bit crop to S x S (bilinear,
 * align_corners=False), scale to x / 255 and write `channels` copies into item `index` of an NCHW batch.
 * @param grey 8-bit plane, row-major, `srcWidth` columns; not modified.
 * @param frame the crop, pixels. @param batch caller-owned N x C x S x S float32, written in place.
 */
export function writeModelInput(
  grey: Uint8Array,
  srcWidth: number,
  frame: PixelRect,
  batch: Float32Array,
  index: number,
  inputSize: number,
  channels: number,
): void {
  const planeSize = inputSize * inputSize;
  const offset = index * channels * planeSize;
  resizeBilinear(grey, srcWidth, frame, batch, inputSize, inputSize, { dstOffset: offset, scale: 1 / 255 });
  for (let c = 1; c < channels; c++) batch.copyWithin(offset + c * planeSize, offset, offset + planeSize);
}
