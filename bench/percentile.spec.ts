import { describe, expect, it } from 'vitest';
import { percentile } from './percentile';

describe('percentile (nearest rank)', () => {
  const tenths = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];

  it('takes the smallest value with at least p % of the values at or below it', () => {
    expect([percentile(tenths, 50), percentile(tenths, 95), percentile(tenths, 90), percentile(tenths, 100)]).toEqual([5, 10, 9, 10]);
    expect(percentile([3, 1, 2], 50)).toBe(2);
  });

  it('gives the smallest value for p 0, leaves its input unsorted, and NaN for no values', () => {
    expect(percentile(tenths, 0)).toBe(1);
    expect(tenths[0]).toBe(10);
    expect(percentile([], 95)).toBeNaN();
  });
});
