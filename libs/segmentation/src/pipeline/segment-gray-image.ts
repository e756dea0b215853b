import { InvalidInputError } from '../errors';
import type { SegmentationModel } from '../inference/segmentation-model';
import { writeModelInput } from '../preprocess/model-input';
import { resizeBilinear } from '../preprocess/resize';

export interface GrayImage {
  /** 8-bit lung-window grey, row-major `width x height`. */
  pixels: Uint8Array;
  width: number;
  height: number;
}

export interface GrayImageSegmentation {
  /** 0/1 infection mask, `width x height`, row-major. Caller owns it. */
  mask: Uint8Array;
  /** Model probability resized to `width x height`. Caller owns it. */
  probability: Float32Array;
  /** Mask pixels / all pixels, 0..1. */
  infectedFraction: number;
}

/**
 * Segments one already-framed 8-bit slice (PNG/JPEG path of docs/CONTRACTS.md §1: the frame is the
 * whole image, no windowing). The path of `POST /api/segment-image` and of `npm run evaluate`.
 * @param image not modified, not retained.
 */
export async function segmentGrayImage(model: SegmentationModel, image: GrayImage): Promise<GrayImageSegmentation> {
  const { pixels, width, height } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || pixels.length !== width * height) {
    throw new InvalidInputError(`Segmenting an image failed: ${pixels.length} pixels do not make a ${width} x ${height} grey image`);
  }
  const { inputSize: s, inputChannels: c, threshold } = model.contract;
  const input = new Float32Array(c * s * s);
  const frame = { x: 0, y: 0, width, height };
  writeModelInput(pixels, width, frame, input, 0, s, c);
  const prob = await model.predict(input, 1);
  const probability = new Float32Array(width * height);
  resizeBilinear(prob, s, { x: 0, y: 0, width: s, height: s }, probability, width, height);
  const mask = new Uint8Array(width * height);
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (probability[i]! >= threshold) {
      mask[i] = 1;
      count++;
    }
  }
  return { mask, probability, infectedFraction: count / mask.length };
}
