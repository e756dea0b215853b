import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors';
import { confusion, overlapMetrics, summarizeMetrics } from './metrics';

describe('metrics', () => {
  it('counts the confusion of two masks', () => {
    const truth = new Uint8Array([1, 1, 1, 0, 0, 0, 0, 0]);
    const pred = new Uint8Array([1, 1, 0, 1, 0, 0, 0, 0]);
    expect(confusion(pred, truth)).toEqual({ tp: 2, fp: 1, fn: 1, tn: 4 });
  });

  it('computes dice, iou, precision, recall and specificity from the counts', () => {
    const m = overlapMetrics({ tp: 2, fp: 1, fn: 1, tn: 4 });
    expect(m.dice).toBeCloseTo(4 / 6, 12);
    expect(m.iou).toBeCloseTo(2 / 4, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.specificity).toBeCloseTo(4 / 5, 12);
  });

  it('scores an empty prediction of an empty truth as perfect', () => {
    expect(overlapMetrics({ tp: 0, fp: 0, fn: 0, tn: 9 })).toEqual({ dice: 1, iou: 1, precision: 1, recall: 1, specificity: 1 });
  });

  it('scores an empty prediction of an infected image 0 on Dice, IoU and recall, and 1 on precision (zero denominator)', () => {
    expect(overlapMetrics({ tp: 0, fp: 0, fn: 5, tn: 4 })).toEqual({ dice: 0, iou: 0, precision: 1, recall: 0, specificity: 1 });
  });

  it('scores a prediction on an empty truth 0 on Dice, IoU and precision, and 1 on recall (zero denominator)', () => {
    expect(overlapMetrics({ tp: 0, fp: 3, fn: 0, tn: 6 })).toEqual({ dice: 0, iou: 0, precision: 0, recall: 1, specificity: 6 / 9 });
  });

  it('averages per image the Inf-Net way and adds the pooled Dice', () => {
    const big = { tp: 90, fp: 10, fn: 0, tn: 0 }; // dice 180/190
    const small = { tp: 0, fp: 0, fn: 10, tn: 90 }; // dice 0
    const s = summarizeMetrics([big, small]);
    expect(s.n).toBe(2);
    expect(s.dice).toBeCloseTo((180 / 190 + 0) / 2, 12);
    expect(s.pooledDice).toBeCloseTo(180 / (180 + 10 + 10), 12);
  });

  it('rejects masks of different sizes and an empty dataset', () => {
    expect(() => confusion(new Uint8Array(2), new Uint8Array(3))).toThrow(InvalidInputError);
    expect(() => summarizeMetrics([])).toThrow(InvalidInputError);
  });
});
