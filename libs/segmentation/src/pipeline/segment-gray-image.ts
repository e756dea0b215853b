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
  /**
   * Infection labels, `width x height`, row-major: 0 none, 1 infection (binary model) or ground-glass
   * opacity (multi-class model), 2 consolidation (multi-class only). Caller owns it.
   */
  mask: Uint8Array;
  /** True when `mask` carries classes (the model's contract has `covseg.classes`). */
  multiClass: boolean;
  /** Model probability resized to `width x height`. Caller owns it. */
  probability: Float32Array;
  /** Mask pixels / all pixels, 0..1. */
  infectedFraction: number;
  /** Multi-class only: the fraction of all pixels labelled GGO and consolidation (adding up to infectedFraction). */
  classFractions?: { ggo: number; consolidation: number };
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
  const outputs = await model.predictOutputs(input, 1);
  // Outside the frame the probability is 0 (docs/CONTRACTS.md §1, postprocessing).
  const probability = placeInPicture(outputs.prob, s, frame, width, height);
  const consolidation = outputs.consolidation ? placeInPicture(outputs.consolidation, s, frame, width, height) : undefined;
  const consolidationThreshold = model.contract.consolidationThreshold ?? 1;
  const lung = lungs?.mask;
  const mask = new Uint8Array(width * height);
  let count = 0;
  let consolidated = 0;
  for (let i = 0; i < mask.length; i++) {
    if (probability[i]! >= threshold && (lung === undefined || lung[i] !== 0)) {
      // Multi-class: an infection pixel is consolidation (2) or ground glass (1); the union is unchanged.
      const label = consolidation && consolidation[i]! >= consolidationThreshold ? 2 : 1;
      mask[i] = label;
      count++;
      if (label === 2) consolidated++;
    }
  }
  const n = mask.length;
  return {
    mask,
    multiClass: consolidation !== undefined,
    probability,
    infectedFraction: count / n,
    ...(consolidation ? { classFractions: { ggo: (count - consolidated) / n, consolidation: consolidated / n } } : {}),
    frame,
    ...(lung ? { lung } : {}),
  };
}

/** An S x S output map resized (bilinear) into its frame of a `width x height` picture, 0 outside the frame. */
function placeInPicture(map: Float32Array, s: number, frame: PixelRect, width: number, height: number): Float32Array {
  const framed = new Float32Array(frame.width * frame.height);
  resizeBilinear(map, s, { x: 0, y: 0, width: s, height: s }, framed, frame.width, frame.height);
  const picture = new Float32Array(width * height);
  for (let y = 0; y < frame.height; y++) picture.set(framed.subarray(y * frame.width, (y + 1) * frame.width), (frame.y + y) * width + frame.x);
  return picture;
}
