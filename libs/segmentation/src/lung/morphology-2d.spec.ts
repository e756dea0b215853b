import { describe, expect, it } from 'vitest';
import { clearBorderConnected, closeSquare, fillHoles } from './morphology-2d';

const parse = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
const show = (m: Uint8Array, w: number) => Array.from({ length: m.length / w }, (_, y) => Array.from(m.subarray(y * w, (y + 1) * w), (v) => (v ? '#' : '.')).join(''));

describe('2-D morphology', () => {
  it('clears what touches the border and keeps enclosed pixels', () => {
    const m = parse(['#.....', '#..#..', '...#..', '.....#']);
    clearBorderConnected(m, 6, 4);
    expect(show(m, 6)).toEqual(['......', '...#..', '...#..', '......']);
  });

  it('fills an enclosed hole but not a notch open to the border', () => {
    const m = parse(['######', '#..#.#', '####.#', '......']);
    fillHoles(m, 6, 4, new Uint8Array(24));
    // (1,1)-(2,1) are enclosed and become 1; column 4 opens onto the empty bottom row, so it stays a notch.
    expect(show(m, 6)).toEqual(['######', '####.#', '####.#', '......']);
  });

  it('closes a gap narrower than the square without growing the outline, even at the plane edge', () => {
    const m = parse(['###.###', '###.###', '###.###']);
    const w = 7, r = 1;
    const padded = new Uint8Array((w + 2 * r) * (3 + 2 * r));
    closeSquare(m, w, 3, r, padded, new Uint8Array(padded.length));
    expect(show(m, w)).toEqual(['#######', '#######', '#######']);
  });
});
