import { InvalidInputError } from '../errors';

/** An axis-aligned pixel rectangle: columns [x, x + width), rows [y, y + height). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Per-axis source indices and weights of one bilinear resize (align_corners=False). */
export interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/*
 * Source coordinate of output pixel d, exactly as PyTorch's upsample_bilinear2d with
 * align_corners=False (aten/src/ATen/native/UpSample.h, area_pixel_compute_source_index):
 *   src = (d + 0.5) * (in / out) - 0.5, clamped below at 0; i0 = floor(src), i1 = min(i0 + 1, in - 1).
 * Never "simplify" this to d * in / out: that shifts the image by half a pixel and the model,
 * trained on torch-resized inputs, sees a different picture.
 */
export function bilinearAxis(inSize: number, outSize: number): AxisTable {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    let src = (d + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    let lo = Math.floor(src);
    if (lo > inSize - 1) lo = inSize - 1;
    i0[d] = lo;
    i1[d] = lo < inSize - 1 ? lo + 1 : lo;
    w1[d] = src - lo;
  }
  return { i0, i1, w1 };
}

/**
 * Bilinear resize of a rectangle of a 2-D plane, with `torch.nn.functional.interpolate(mode='bilinear',
 * align_corners=False)` semantics, optionally scaling the values (e.g. 1/255 for unit normalisation).
 * @param src row-major plane of `srcWidth` columns (pixel units); not modified.
 * @param region the source rectangle to resize (pixels); must lie inside the plane.
 * @param dst destination; `dstWidth * dstHeight` values are written from `dstOffset`. Caller owns it.
 */
export function resizeBilinear(
  src: Uint8Array | Float32Array,
  srcWidth: number,
  region: PixelRect,
  dst: Float32Array,
  dstWidth: number,
  dstHeight: number,
  options: { dstOffset?: number; scale?: number } = {},
): void {
  const { x, y, width, height } = region;
  const dstOffset = options.dstOffset ?? 0;
  const scale = options.scale ?? 1;
  const srcHeight = Math.floor(src.length / srcWidth);
  if (width < 1 || height < 1 || x < 0 || y < 0 || x + width > srcWidth || y + height > srcHeight) {
    throw new InvalidInputError(`Resizing failed: region ${width}x${height}+${x}+${y} lies outside the ${srcWidth}x${srcHeight} plane`);
  }
  if (dstWidth < 1 || dstHeight < 1 || dstOffset + dstWidth * dstHeight > dst.length) {
    throw new InvalidInputError(`Resizing failed: destination ${dstWidth}x${dstHeight} at ${dstOffset} does not fit ${dst.length} values`);
  }
  const tx = bilinearAxis(width, dstWidth);
  const ty = bilinearAxis(height, dstHeight);
  for (let dy = 0; dy < dstHeight; dy++) {
    const row0 = (y + ty.i0[dy]!) * srcWidth + x;
    const row1 = (y + ty.i1[dy]!) * srcWidth + x;
    const wy1 = ty.w1[dy]!;
    const wy0 = 1 - wy1;
    let o = dstOffset + dy * dstWidth;
    for (let dx = 0; dx < dstWidth; dx++, o++) {
      const c0 = tx.i0[dx]!;
      const c1 = tx.i1[dx]!;
      const wx1 = tx.w1[dx]!;
      const wx0 = 1 - wx1;
      const top = src[row0 + c0]! * wx0 + src[row0 + c1]! * wx1;
      const bottom = src[row1 + c0]! * wx0 + src[row1 + c1]! * wx1;
      dst[o] = (top * wy0 + bottom * wy1) * scale;
    }
  }
}
