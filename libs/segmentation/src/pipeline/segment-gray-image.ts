import { InvalidInputError } from '../errors';
import type { SegmentationModel } from '../inference/segmentation-model';
import { findLungsInGray } from '../lung/gray-lungs';
import { writeModelInput } from '../preprocess/model-input';
import { type PixelRect, resizeBilinear } from '../preprocess/resize';

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
  /** The lungs found in the picture (0/1, `width x height`), or undefined when none were looked for or found. Caller owns it. */
  lung?: Uint8Array;
  /** The part of the picture the model saw. */
  frame: PixelRect;
}

export interface SegmentGrayImageOptions {
  /**
   * Find the lungs first (default true): a full-field picture is framed to its lungs like a DICOM slice,
   * and infection is kept inside them. False: the picture is taken as already framed and nothing is clipped
   * (the caller framed it, e.g. from a DICOM slice's HU lung mask, and clips with that mask).
   */
  findLungs?: boolean;
}

/**
 * Segments one 8-bit slice (PNG/JPEG path of docs/CONTRACTS.md §1). The lungs are found first
 * (findLungsInGray: any window, with or without the table): a full-field picture is framed to them
 * (box + frameMargin) as a DICOM slice is, and infection outside them is dropped. A picture already
 * cropped to the thorax (the lungs' frame covers >= 90 % of it, like the training slices) is used
 * whole, exactly as before. When no lungs are found, the whole picture is used and nothing is clipped.
 * The path of `POST /api/segment-image` and of `npm run evaluate`.
 * @param image not modified, not retained.
 */
export async function segmentGrayImage(model: SegmentationModel, image: GrayImage, options: SegmentGrayImageOptions = {}): Promise<GrayImageSegmentation> {
  const { pixels, width, height } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || pixels.length !== width * height) {
    throw new InvalidInputError(`Segmenting an image failed: ${pixels.length} pixels do not make a ${width} x ${height} grey image`);
  }
  const { inputSize: s, inputChannels: c, threshold, frameMargin } = model.contract;
  const lungs = options.findLungs ?? true ? findLungsInGray(pixels, width, height, { margin: frameMargin }) : undefined;
  const frame = lungs?.frame ?? { x: 0, y: 0, width, height };
  const input = new Float32Array(c * s * s);
  writeModelInput(pixels, width, frame, input, 0, s, c);
  const prob = await model.predict(input, 1);
  const framed = new Float32Array(frame.width * frame.height);
  resizeBilinear(prob, s, { x: 0, y: 0, width: s, height: s }, framed, frame.width, frame.height);
  // Outside the frame the probability is 0 (docs/CONTRACTS.md §1, postprocessing).
  const probability = new Float32Array(width * height);
  for (let y = 0; y < frame.height; y++) probability.set(framed.subarray(y * frame.width, (y + 1) * frame.width), (frame.y + y) * width + frame.x);
  const lung = lungs?.mask;
  const mask = new Uint8Array(width * height);
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (probability[i]! >= threshold && (lung === undefined || lung[i] !== 0)) {
      mask[i] = 1;
      count++;
    }
  }
  return { mask, probability, infectedFraction: count / mask.length, frame, ...(lung ? { lung } : {}) };
}
