import { describe, expect, it } from 'vitest';
import { forEachRun, RunStack, spanFill } from './runs';

describe('row runs', () => {
  it('fills a U-shaped region through the rows above and below, and leaves a separate pixel alone', () => {
    // The U is one 4-connected region of 9 pixels; the pixel in the middle of the top row is not part of it.
    const m = Uint8Array.from('1.1.1' + '1...1' + '11111' + '.....', (c) => (c === '1' ? 1 : 0));
    expect(spanFill(m, 5, 20, 0, 1, 2, new RunStack())).toBe(9);
    expect(Array.from(m, (v) => String(v)).join('')).toEqual('20102' + '20002' + '22222' + '00000');
  });

  it('connects planes face to face (6-connectivity) and grows its stack beyond the initial capacity', () => {
    const columns = 3;
    const plane = 9;
    const v = new Uint8Array(plane * 3);
    v[4] = 1; // centre of plane 0
    v[plane + 4] = 1; // centre of plane 1
    v[2 * plane + 0] = 1; // corner of plane 2: only diagonal to the centre, stays unfilled
    const runs = new RunStack(1);
    expect(spanFill(v, columns, plane, 4, 1, 5, new RunStack(1), runs)).toBe(2);
    expect(Array.from(runs.data.subarray(0, runs.top))).toEqual([4, 5, plane + 4, plane + 5]);
    expect(v[2 * plane]).toBe(1);
  });

  it('visits runs of one value in index order and splits them at row ends', () => {
    const values = Uint8Array.from([1, 1, 0, 1, 1, 1, 2, 1]);
    const seen: [number, number][] = [];
    forEachRun(values, 1, 4, (start, end) => seen.push([start, end]));
    expect(seen).toEqual([[0, 2], [3, 4], [4, 6], [7, 8]]);
  });
});
