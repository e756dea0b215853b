import { InvalidInputError } from '../errors';

/** Pixel counts of one prediction against its truth. */
export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface OverlapMetrics {
  dice: number;
  iou: number;
  precision: number;
  recall: number;
  specificity: number;
}

/**
 * Confusion counts of two binary masks (non-zero = positive).
 * @param prediction, truth same length, any layout; not modified.
 */
export function confusion(prediction: Uint8Array, truth: Uint8Array): Confusion {
  if (prediction.length !== truth.length) {
    throw new InvalidInputError(`Metrics failed: prediction has ${prediction.length} pixels, truth has ${truth.length}`);
  }
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = prediction[i] !== 0;
    const t = truth[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn, tn: truth.length - tp - fp - fn };
}

/*
 * Zero denominators, one rule for every metric, the same as training/covseg_training/metrics.py so
 * that `npm run evaluate` and the model's covseg.cv_metrics are comparable: a ratio whose
 * denominator is 0 is 1 ("nothing to find, nothing found"). So an empty prediction of an empty truth
 * scores 1 everywhere; an empty prediction of an infected image keeps precision 1 but scores Dice,
 * IoU and recall 0, so predicting nothing never earns a good Dice.
 */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

export const dice = (c: Confusion): number => ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
export const iou = (c: Confusion): number => ratio(c.tp, c.tp + c.fp + c.fn);
export const precision = (c: Confusion): number => ratio(c.tp, c.tp + c.fp);
export const recall = (c: Confusion): number => ratio(c.tp, c.tp + c.fn);
export const specificity = (c: Confusion): number => ratio(c.tn, c.tn + c.fp);

/** All five per-image metrics of one confusion. */
export function overlapMetrics(c: Confusion): OverlapMetrics {
  return { dice: dice(c), iou: iou(c), precision: precision(c), recall: recall(c), specificity: specificity(c) };
}

export interface DatasetMetrics extends OverlapMetrics {
  /** Number of images. */
  n: number;
  /** Dice of the pixel counts summed over all images (large lesions weigh more). */
  pooledDice: number;
}

/**
 * Dataset summary the way Inf-Net (Fan et al., IEEE TMI 2020) reports it: each metric is computed per
 * image and then averaged over images, so every slice weighs the same regardless of lesion size.
 * `pooledDice` is added for comparison. Zero denominators follow the rule above.
 * @throws InvalidInputError for an empty list.
 */
export function summarizeMetrics(perImage: readonly Confusion[]): DatasetMetrics {
  if (perImage.length === 0) throw new InvalidInputError('Metrics failed: no images to summarise');
  const sum = { dice: 0, iou: 0, precision: 0, recall: 0, specificity: 0 };
  const pooled: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const c of perImage) {
    const m = overlapMetrics(c);
    sum.dice += m.dice;
    sum.iou += m.iou;
    sum.precision += m.precision;
    sum.recall += m.recall;
    sum.specificity += m.specificity;
    pooled.tp += c.tp;
    pooled.fp += c.fp;
    pooled.fn += c.fn;
    pooled.tn += c.tn;
  }
  const n = perImage.length;
  return {
    n,
    dice: sum.dice / n,
    iou: sum.iou / n,
    precision: sum.precision / n,
    recall: sum.recall / n,
    specificity: sum.specificity / n,
    pooledDice: dice(pooled),
  };
}
